package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.EvaluationStatus;
import dev.annealer.operator.progress.ProgressReport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EvaluationUpdateTest {

    static ProgressReport report(long step, Double loss, Long valStep, Double ppl, Double acc, Double f1) {
        return new ProgressReport("u", 1, step, null, null, null, null, null, 0.5, loss, null, null, null, "Running",
                null, valStep, ppl, acc, f1);
    }

    @Test
    void copiesTheMetricsAndTheirStep() {
        EvaluationStatus e = EvaluationUpdate.next(null, report(640, 1.2345678, 600L, 3.4368, null, null));
        assertThat(e.getStep()).isEqualTo(600L);
        assertThat(e.getLoss()).isEqualTo(1.2345678);
        assertThat(e.getPerplexity()).isEqualTo(3.4368);
        assertThat(e.getAccuracy()).isNull();
        assertThat(e.getSummary()).isEqualTo("step 600: loss 1.235 ppl 3.437");

        EvaluationStatus c = EvaluationUpdate.next(e, report(900, 0.41, 900L, null, 0.875, 0.86111));
        assertThat(c.getPerplexity()).isNull();
        assertThat(c.getSummary()).isEqualTo("step 900: loss 0.41 acc 0.8750 F1 0.8611");
    }

    @Test
    void aReportWithoutValidationKeepsTheNewestEvaluation() {
        EvaluationStatus e = EvaluationUpdate.next(null, report(640, 1.5, 600L, 4.48, null, null));
        assertThat(EvaluationUpdate.next(e, report(700, null, null, null, null, null))).isSameAs(e);
        assertThat(EvaluationUpdate.next(null, report(700, null, null, null, null, null))).isNull();
    }

    @Test
    void withoutValidationStepTheStepIsWhereTheLossFirstAppeared() {
        EvaluationStatus first = EvaluationUpdate.next(null, report(120, 0.9, null, null, null, null));
        assertThat(first.getStep()).isEqualTo(120L);
        EvaluationStatus same = EvaluationUpdate.next(first, report(180, 0.9, null, null, null, null));
        assertThat(same.getStep()).isEqualTo(120L);
        EvaluationStatus newer = EvaluationUpdate.next(same, report(240, 0.8, null, null, null, null));
        assertThat(newer.getStep()).isEqualTo(240L);
        assertThat(newer.getSummary()).isEqualTo("step 240: loss 0.8");
    }
}
