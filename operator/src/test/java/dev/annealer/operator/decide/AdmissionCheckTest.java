package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.api.v1alpha1.ScheduleType;
import dev.annealer.operator.Jobs;
import dev.annealer.operator.observe.Observation;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Semantic admission checks that go through the schedule engine. */
class AdmissionCheckTest {

    private final FineTuneJob job = Jobs.sgdr();

    @Test
    void aFittingScheduleIsAccepted() {
        AdmissionCheck.Result r = AdmissionCheck.check(job.getSpec());
        assertThat(r.accepted()).isTrue();
        assertThat(r.reason()).isEqualTo(Reasons.SPEC_VALID);
        assertThat(r.fingerprint()).get().asString().startsWith("sha256:");
    }

    @Test
    void cyclesThatDoNotFitTheBudgetAreRejected() {
        job.getSpec().getSchedule().setMaxCycles(5L); // 500 + 2000 + 4000 + 8000 + 16000 + 32000 > 20000
        AdmissionCheck.Result r = AdmissionCheck.check(job.getSpec());
        assertThat(r.accepted()).isFalse();
        assertThat(r.reason()).isEqualTo(Reasons.SCHEDULE_EXCEEDS_BUDGET);
        assertThat(r.message()).contains("spec.schedule.maxCycles=5", "spec.training.maxSteps=20000",
                "34% into cycle 3", "raise maxSteps to at least 30500");
    }

    @Test
    void trainingThatEndsFarFromTheMinimumIsAcceptedWithAWarning() {
        job.getSpec().getSchedule().setMaxCycles(null);
        AdmissionCheck.Result r = AdmissionCheck.check(job.getSpec());
        assertThat(r.accepted()).isTrue();
        assertThat(r.warning()).isTrue();
        assertThat(r.reason()).isEqualTo(Reasons.ENDS_MID_CYCLE);
        assertThat(r.message()).matches("training ends 34% into cycle 3 at LR [0-9.]+e-[0-9]+ .*")
                .contains("set spec.training.maxSteps to 30500");
    }

    @Test
    void trainingThatEndsAtACycleBoundaryIsFine() {
        job.getSpec().getSchedule().setMaxCycles(null);
        job.getSpec().getTraining().setMaxSteps(14500L); // end of cycle 2
        assertThat(AdmissionCheck.check(job.getSpec()).reason()).isEqualTo(Reasons.SPEC_VALID);
    }

    @Test
    void aPlainCosineDecaysOverTheRestOfTraining() {
        job.getSpec().getSchedule().setType(ScheduleType.COSINE);
        job.getSpec().getSchedule().setPeriod(null);
        job.getSpec().getSchedule().setPeriodMultiplier(null);
        job.getSpec().getSchedule().setPeakDecay(null);
        job.getSpec().getSchedule().setMaxCycles(null);
        AdmissionCheck.Result r = AdmissionCheck.check(job.getSpec());
        assertThat(r.accepted()).as(r.message()).isTrue();
        assertThat(r.reason()).isEqualTo(Reasons.SPEC_VALID);
    }

    @Test
    void theCrdsOwnRulesApplyTooForAClusterWhoseCrdIsOlderThanTheOperator() {
        // the schedule engine accepts it; the CRD's CEL rule (spec.checkpoint.everySteps <= maxSteps) does not
        job.getSpec().getCheckpoint().setEverySteps(30000L);
        AdmissionCheck.Result r = AdmissionCheck.check(job.getSpec());
        assertThat(r.accepted()).isFalse();
        assertThat(r.reason()).isEqualTo(Reasons.INVALID_SPEC);
        assertThat(r.message()).startsWith("spec.checkpoint.everySteps must be <= spec.training.maxSteps")
                .contains("spec.checkpoint.everySteps=30000, spec.training.maxSteps=20000");
    }

    @Test
    void anInvalidScheduleNamesTheField() {
        job.getSpec().getSchedule().setPeriodMultiplier(0.5);
        AdmissionCheck.Result r = AdmissionCheck.check(job.getSpec());
        assertThat(r.accepted()).isFalse();
        assertThat(r.reason()).isEqualTo(Reasons.INVALID_SCHEDULE);
        assertThat(r.message()).contains("spec.schedule.periodMultiplier").contains("0.5");
    }

    @Test
    void aRejectedJobGetsNoPodAConditionAndOneEvent() {
        job.getSpec().getSchedule().setMaxCycles(5L);
        Decision d = Decider.decide(job, Observation.empty(), Instant.parse("2026-11-28T10:00:00Z"));
        assertThat(d.actions()).noneMatch(a -> a instanceof Action.CreatePod);
        assertThat(d.status().getPhase()).isEqualTo(Phase.PENDING);
        assertThat(d.status().getAttempt()).isZero();
        var accepted = Conditions.find(d.status().getConditions(), ConditionTypes.ACCEPTED).orElseThrow();
        assertThat(accepted.getStatus()).isEqualTo("False");
        assertThat(accepted.getReason()).isEqualTo(Reasons.SCHEDULE_EXCEEDS_BUDGET);
        assertThat(d.events()).extracting(JobEvent::reason).containsExactly(Reasons.SCHEDULE_EXCEEDS_BUDGET);
        // reconciling it again: no second event, same status
        job.setStatus(d.status());
        Decision again = Decider.decide(job, Observation.empty(), Instant.parse("2026-11-28T10:01:00Z"));
        assertThat(again.events()).isEmpty();
        assertThat(again.status()).isEqualTo(d.status());
    }

    @Test
    void aWarningIsAnEventOnceAndTheJobStarts() {
        job.getSpec().getSchedule().setMaxCycles(null);
        Decision d = Decider.decide(job, Observation.empty(), Instant.parse("2026-11-28T10:00:00Z"));
        assertThat(d.actions()).anyMatch(a -> a instanceof Action.CreatePod);
        assertThat(d.events()).extracting(JobEvent::reason).containsExactly(Reasons.ENDS_MID_CYCLE, Reasons.CREATED);
        assertThat(d.events().get(0).type()).isEqualTo("Warning");
        assertThat(Conditions.find(d.status().getConditions(), ConditionTypes.ACCEPTED).orElseThrow().getMessage())
                .startsWith("training ends 34% into cycle 3 at LR ");
    }
}
