package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.operator.Jobs;
import dev.annealer.operator.observe.Observation;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.annealer.operator.decide.Pods.T0;
import static org.assertj.core.api.Assertions.assertThat;

/** A pod the API server refuses leaves a condition with the server's words, and the job retries. */
class PodCreateRejectionTest {

    static final String QUOTA = "pods \"ft-1\" is forbidden: exceeded quota: gpu-quota, requested: nvidia.com/gpu=1, "
            + "used: nvidia.com/gpu=8, limited: nvidia.com/gpu=8";

    @Test
    void aQuotaRefusalIsAConditionAnEventAndARetryNotAStart() {
        FineTuneJob job = Jobs.sgdr();
        Decision decided = Decider.decide(job, Observation.empty(), T0);
        assertThat(decided.actions()).anyMatch(a -> a instanceof Action.CreatePod);

        Decision d = PodCreateRejection.apply(job, decided, new PodCreateRejection.Rejected("ft-1", 403, QUOTA), T0,
                Duration.ofSeconds(30));
        assertThat(d.actions()).noneMatch(a -> a instanceof Action.CreatePod).contains(new Action.CreateCheckpointPvc());
        assertThat(d.status().getAttempt()).isZero();
        assertThat(d.status().getStartTime()).as("not started: the spec stays editable").isNull();
        assertThat(d.status().getPhase()).isEqualTo(Phase.PENDING);
        FineTuneJobCondition running = Conditions.find(d.status().getConditions(), ConditionTypes.RUNNING).orElseThrow();
        assertThat(running.getStatus()).isEqualTo("False");
        assertThat(running.getReason()).isEqualTo(Reasons.POD_CREATE_REJECTED);
        assertThat(running.getMessage()).contains("HTTP 403").contains(QUOTA).contains("ResourceQuota");
        assertThat(d.events()).extracting(JobEvent::reason).containsExactly(Reasons.POD_CREATE_REJECTED);
        assertThat(d.requeueAfter()).contains(Duration.ofSeconds(30));
        assertThat(d.status().getFailures()).isZero();

        // the retry asks for the same pod again; the same refusal is not a second event
        job.setStatus(d.status());
        Decision retry = Decider.decide(job, Observation.empty().withOwnedResources(
                dev.annealer.operator.act.DesiredResources.specVersion(job), true, true, true), T0.plusSeconds(30));
        assertThat(retry.actions()).contains(new Action.CreatePod(1, java.util.Optional.empty()));
        Decision again = PodCreateRejection.apply(job, retry, new PodCreateRejection.Rejected("ft-1", 403, QUOTA),
                T0.plusSeconds(30), Duration.ofSeconds(30));
        assertThat(again.events()).isEmpty();
    }

    @Test
    void onlyRefusalsOfThePodAreHandledHere() {
        assertThat(PodCreateRejection.isRejection(403)).isTrue();
        assertThat(PodCreateRejection.isRejection(422)).isTrue();
        assertThat(PodCreateRejection.isRejection(400)).isTrue();
        assertThat(PodCreateRejection.isRejection(409)).as("exists: the next reconcile sees it").isFalse();
        assertThat(PodCreateRejection.isRejection(429)).as("throttled: JOSDK's retry").isFalse();
        assertThat(PodCreateRejection.isRejection(500)).isFalse();
    }
}
