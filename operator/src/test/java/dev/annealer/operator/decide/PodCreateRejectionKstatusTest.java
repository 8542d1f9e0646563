package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static dev.annealer.operator.decide.Pods.T0;
import static org.assertj.core.api.Assertions.assertThat;

/** A pod the API server refuses: Stalled with its message, not counted, the same pod tried again. */
class PodCreateRejectionKstatusTest {

    private static final String QUOTA = "pods \"ft-1\" is forbidden: exceeded quota: gpu, requested: nvidia.com/gpu=1, "
            + "used: nvidia.com/gpu=4, limited: nvidia.com/gpu=4";

    @Test
    void aRefusedPodStallsTheJobWithTheApiServersMessageAndIsRetriedAsTheSameAttempt() {
        DeciderTest.World w = new DeciderTest.World();
        Decision d = Decider.decide(w.job, w.obs, T0);
        Action.CreatePod create = new Action.CreatePod(1, Optional.empty());
        assertThat(d.actions()).contains(create);

        Decision refused = PodCreateRejection.apply(w.job, d, new PodCreateRejection.Rejected("ft-1", 403, QUOTA), T0, Duration.ofMinutes(1));
        assertThat(refused.actions()).as("what was applied before the refused pod").doesNotContain(create)
                .contains(new Action.ApplySpecConfigMap());
        assertThat(refused.status().getAttempt()).as("the attempt is not counted").isZero();
        assertThat(refused.status().getStartTime()).isNull();
        assertThat(refused.status().getPhase()).isEqualTo(Phase.PENDING);
        assertThat(refused.requeueAfter()).contains(Duration.ofMinutes(1));
        assertThat(refused.events()).extracting(JobEvent::reason).containsExactly(Reasons.POD_CREATE_REJECTED);
        w.job.setStatus(refused.status());
        assertThat(w.condition(ConditionTypes.STALLED).getStatus()).isEqualTo("True");
        assertThat(w.condition(ConditionTypes.STALLED).getReason()).isEqualTo(Reasons.POD_CREATE_REJECTED);
        assertThat(w.condition(ConditionTypes.STALLED).getMessage()).contains("HTTP 403", QUOTA);
        assertThat(w.condition(ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.POD_CREATE_REJECTED);
        assertThat(w.condition(ConditionTypes.RECONCILING).getStatus()).isEqualTo("False");
        assertThat(w.condition(ConditionTypes.READY).getStatus()).isEqualTo("False");

        // the retry creates the same pod; once it exists the job is no longer stalled
        w.job = Serialization.clone(w.job);
        Decision retry = w.at(Duration.ofMinutes(1)).decide();
        assertThat(retry.actions()).contains(create);
        assertThat(w.condition(ConditionTypes.STALLED).getStatus()).isEqualTo("False");
        assertThat(w.condition(ConditionTypes.RECONCILING).getStatus()).isEqualTo("True");
    }
}
