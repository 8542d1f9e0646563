package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.api.v1alpha1.ScheduleStatus;
import dev.annealer.api.v1alpha1.StatusDisplay;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The short strings kubectl get ftj prints. */
class StatusDisplayTest {

    @Test
    void learningRateHasThreeDigitsInExponentForm() {
        assertThat(StatusDisplay.learningRate(0.0013148809320872733)).isEqualTo("1.31e-03");
        assertThat(StatusDisplay.learningRate(3.0e-3)).isEqualTo("3.00e-03");
        assertThat(StatusDisplay.learningRate(0.1)).isEqualTo("1.00e-01");
        assertThat(StatusDisplay.learningRate(0)).isEqualTo("0.00e+00");
    }

    @Test
    void lossHasFourDigitsPlainWhenShort() {
        assertThat(StatusDisplay.loss(0.042137781)).isEqualTo("0.04214");
        assertThat(StatusDisplay.loss(12.0712)).isEqualTo("12.07");
        assertThat(StatusDisplay.loss(2.0)).isEqualTo("2");
        assertThat(StatusDisplay.loss(1207.36)).isEqualTo("1207");
        assertThat(StatusDisplay.loss(123456.7)).isEqualTo("1.235e+05");
        assertThat(StatusDisplay.loss(0.0000123)).isEqualTo("1.230e-05");
        assertThat(StatusDisplay.loss(Double.NaN)).isEqualTo("NaN");
    }

    @Test
    void theReasonIsThatOfTheConditionThatExplainsThePhase() {
        FineTuneJobStatus s = status(Phase.FAILED, Map.of(ConditionTypes.FAILED, Reasons.MAX_FAILURES_EXCEEDED,
                ConditionTypes.RUNNING, Reasons.NOT_RUNNING));
        assertThat(StatusDisplay.of(s).getReason()).isEqualTo(Reasons.MAX_FAILURES_EXCEEDED);
        FineTuneJobStatus rejected = status(Phase.PENDING, Map.of(ConditionTypes.ACCEPTED, Reasons.INVALID_SCHEDULE,
                ConditionTypes.RUNNING, Reasons.NOT_RUNNING));
        rejected.getConditions().get(0).setStatus(FineTuneJobCondition.FALSE);
        assertThat(StatusDisplay.of(rejected).getReason()).isEqualTo(Reasons.INVALID_SCHEDULE);
        FineTuneJobStatus backingOff = status(Phase.PENDING, Map.of(ConditionTypes.ACCEPTED, Reasons.SPEC_VALID,
                ConditionTypes.RUNNING, Reasons.BACKING_OFF));
        backingOff.getConditions().forEach(c -> c.setStatus(FineTuneJobCondition.TRUE));
        assertThat(StatusDisplay.of(backingOff).getReason()).isEqualTo(Reasons.BACKING_OFF);
        ScheduleStatus sched = new ScheduleStatus();
        sched.setLearningRate(0.0013148809320872733);
        backingOff.setSchedule(sched);
        backingOff.setLoss(0.5);
        assertThat(StatusDisplay.of(backingOff).getLearningRate()).isEqualTo("1.31e-03");
        assertThat(StatusDisplay.of(backingOff).getLoss()).isEqualTo("0.5");
        assertThat(StatusDisplay.of(new FineTuneJobStatus()).getReason()).isNull();
    }

    private static FineTuneJobStatus status(Phase phase, Map<String, String> reasons) {
        FineTuneJobStatus s = new FineTuneJobStatus();
        s.setPhase(phase);
        for (String type : ConditionTypes.ALL) {
            if (reasons.containsKey(type)) {
                FineTuneJobCondition c = new FineTuneJobCondition();
                c.setType(type);
                c.setReason(reasons.get(type));
                c.setStatus(FineTuneJobCondition.TRUE);
                s.getConditions().add(c);
            }
        }
        return s;
    }
}
