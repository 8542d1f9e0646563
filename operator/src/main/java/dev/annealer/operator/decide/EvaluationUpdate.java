package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.EvaluationStatus;
import dev.annealer.operator.progress.ProgressReport;
import java.util.Objects;

/**
 * {@code status.evaluation} from a progress report (pure): the report's validation metrics and the step they were
 * measured at, with the pre-formatted summary. A report without a validation loss (no validation data, no evaluation
 * yet, or a fresh attempt that has not measured) keeps what the status had: the newest measurement stays visible.
 */
public final class EvaluationUpdate {
    private EvaluationUpdate() {}

    /** The evaluation the status should show after {@code report}; {@code previous} when the report has none. */
    public static EvaluationStatus next(EvaluationStatus previous, ProgressReport report) {
        if (report.validationLoss() == null) {
            return previous;
        }
        EvaluationStatus e = new EvaluationStatus();
        e.setStep(step(previous, report));
        e.setLoss(report.validationLoss());
        e.setPerplexity(report.validationPerplexity());
        e.setAccuracy(report.validationAccuracy());
        e.setF1(report.validationMacroF1());
        e.setSummary(EvaluationStatus.summarize(e.getStep(), e.getLoss(), e.getPerplexity(), e.getAccuracy(),
                e.getF1()));
        return e;
    }

    /**
     * The trainer's {@code validationStep}; from a trainer that does not report it, the step of the previous
     * evaluation while the loss is the same one, else the report's step (the first report after an evaluation).
     */
    private static Long step(EvaluationStatus previous, ProgressReport r) {
        if (r.validationStep() != null) {
            return r.validationStep();
        }
        if (previous != null && Objects.equals(previous.getLoss(), r.validationLoss())) {
            return previous.getStep();
        }
        return r.step();
    }
}
