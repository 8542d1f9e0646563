package dev.annealer.operator.observe;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The observe step's mapping of a Kubernetes pod to the record decide() reads. */
class PodSnapshotsTest {

    @Test
    void mapsEverythingTheClassifierReads() {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName("ft-3").addToLabels("annealer.dev/attempt", "3")
                .withCreationTimestamp("2026-11-28T10:00:00Z").withDeletionTimestamp("2026-11-28T10:05:00Z").endMetadata()
                .withNewStatus().withPhase("Failed").withReason("Evicted").withMessage("low on memory").withPodIP("10.1.2.3")
                .addNewCondition().withType("PodScheduled").withStatus("True").withLastTransitionTime("2026-11-28T10:00:02Z").endCondition()
                .addNewCondition().withType("DisruptionTarget").withStatus("True").withReason("TerminationByKubelet")
                .withMessage("node pressure").endCondition()
                .addNewContainerStatus().withName("sidecar").withNewState().withNewRunning().endRunning().endState().endContainerStatus()
                .addNewContainerStatus().withName("trainer").withNewState().withNewTerminated().withExitCode(75)
                .withReason("Error").withMessage("checkpointed after preemption: step=9 checkpoint=step-000000000009")
                .withFinishedAt("2026-11-28T10:05:30Z").endTerminated().endState().endContainerStatus()
                .endStatus().build();
        PodSnapshot s = PodSnapshots.of(pod);
        assertThat(s.name()).isEqualTo("ft-3");
        assertThat(s.attempt()).isEqualTo(3);
        assertThat(s.phase()).isEqualTo("Failed");
        assertThat(s.reason()).isEqualTo("Evicted");
        assertThat(s.podIp()).isEqualTo("10.1.2.3");
        assertThat(s.created()).isEqualTo(Instant.parse("2026-11-28T10:00:00Z"));
        assertThat(s.deletionRequested()).isEqualTo(Instant.parse("2026-11-28T10:05:00Z"));
        assertThat(s.scheduledAt()).isEqualTo(Instant.parse("2026-11-28T10:00:02Z"));
        assertThat(s.trueCondition("DisruptionTarget")).get().extracting(PodSnapshot.PodConditionSnapshot::reason)
                .isEqualTo("TerminationByKubelet");
        ContainerSnapshot.Terminated t = s.trainer().orElseThrow().terminated();
        assertThat(t.exitCode()).isEqualTo(75);
        assertThat(t.message()).startsWith("checkpointed after preemption");
        assertThat(t.finishedAt()).isEqualTo(Instant.parse("2026-11-28T10:05:30Z"));
    }

    @Test
    void aFreshPodHasNoContainerStateYet() {
        PodSnapshot s = PodSnapshots.of(new PodBuilder().withNewMetadata().withName("ft-1").endMetadata().build());
        assertThat(s.trainer()).isEmpty();
        assertThat(s.conditions()).isEmpty();
        assertThat(s.isDeleting()).isFalse();
        assertThat(s.attempt()).isZero();
    }

    @Test
    void aWaitingContainerKeepsItsReason() {
        PodSnapshot s = PodSnapshots.of(new PodBuilder().withNewMetadata().withName("ft-1").endMetadata()
                .withNewStatus().withPhase("Pending").addNewContainerStatus().withName("trainer").withNewState().withNewWaiting()
                .withReason("ImagePullBackOff").withMessage("back-off").endWaiting().endState().endContainerStatus().endStatus().build());
        assertThat(s.trainer().orElseThrow().waiting().reason()).isEqualTo("ImagePullBackOff");
    }
}
