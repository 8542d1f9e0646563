package dev.annealer.operator.decide;

import dev.annealer.operator.observe.PodSnapshot;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.annealer.operator.decide.PodEnding.Kind.FAILURE;
import static dev.annealer.operator.decide.PodEnding.Kind.PREEMPTION;
import static dev.annealer.operator.decide.PodEnding.Kind.SUCCESS;
import static dev.annealer.operator.decide.PodEnding.Kind.SUSPENDED;
import static dev.annealer.operator.decide.Pods.T0;
import static dev.annealer.operator.decide.Pods.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertAll;

/** Every way a trainer pod can end, and what the operator makes of it (docs/operator.md has the same table). */
class PodEndingClassifierTest {

    private static final Instant NOW = T0.plus(Duration.ofMinutes(10));
    private static final String CKPT = "checkpointed after preemption: step=1200 checkpoint=step-000000001200";

    /** name, pod (null = gone), suspend requested, expected kind (null = not ended), cause, permanent, deletePod. */
    static Stream<Arguments> cases() {
        return Stream.of(
                // Success
                row("exit 0 with succeeded: message", pod().exited(0, "Completed",
                        "succeeded: step=2000 checkpoint=step-000000002000 paramsSha256=ab loss=0.12"), false, SUCCESS, Causes.SUCCEEDED),
                row("exit 0 without succeeded: message", pod().exited(0, "Completed", ""), false, FAILURE, Causes.UNEXPECTED_EXIT),
                // Preemption: DisruptionTarget reasons, whatever the exit code
                row("DisruptionTarget PreemptionByScheduler, exit 75", pod().disruption("PreemptionByScheduler").exited(75, "Error", CKPT),
                        false, PREEMPTION, Causes.PREEMPTION_BY_SCHEDULER),
                row("DisruptionTarget EvictionByEvictionAPI, exit 137", pod().disruption("EvictionByEvictionAPI").exited(137, "Error", null),
                        false, PREEMPTION, Causes.EVICTION_BY_EVICTION_API),
                row("DisruptionTarget DeletionByTaintManager, exit 143", pod().disruption("DeletionByTaintManager").exited(143, "Error", ""),
                        false, PREEMPTION, Causes.DELETION_BY_TAINT_MANAGER),
                row("DisruptionTarget TerminationByKubelet, OOMKilled under node pressure", pod().disruption("TerminationByKubelet")
                        .exited(137, "OOMKilled", ""), false, PREEMPTION, Causes.TERMINATION_BY_KUBELET),
                row("DisruptionTarget DeletionByPodGC (node gone), no container state", pod().disruption("DeletionByPodGC")
                        .phase("Failed").noContainer(), false, PREEMPTION, Causes.DELETION_BY_POD_GC),
                row("Kueue TerminationTarget StoppedByKueue", pod().condition("TerminationTarget", "StoppedByKueue").exited(75, "Error", CKPT),
                        false, PREEMPTION, "StoppedByKueue"),
                row("kubelet eviction (status.reason Evicted)", pod().reason("Evicted", "low on memory").exited(137, "Error", null),
                        false, PREEMPTION, Causes.EVICTED),
                row("graceful node shutdown (status.reason Terminated)", pod().reason("Terminated", "node shutdown").exited(75, "Error", CKPT),
                        false, PREEMPTION, Causes.EVICTED),
                row("node lost (status.reason NodeLost), container gone", pod().reason("NodeLost", "node unreachable").phase("Failed").noContainer(),
                        false, PREEMPTION, Causes.NODE_LOST),
                row("deleted by someone else, trainer checkpointed (exit 75)", pod().deleting(NOW).exited(75, "Error", CKPT),
                        false, PREEMPTION, Causes.POD_DELETED),
                row("deleted by someone else, killed after the grace period (137)", pod().deleting(NOW).exited(137, "Error", null),
                        false, PREEMPTION, Causes.POD_DELETED),
                row("pod gone (deleted by someone else, or node removed)", null, false, PREEMPTION, Causes.POD_DELETED),
                row("exit 75 without any platform signal", pod().exited(75, "Error", CKPT), false, PREEMPTION,
                        Causes.CHECKPOINTED_AFTER_PREEMPTION),
                // Suspend: the operator deleted the pod itself
                row("suspend: trainer checkpointed (75) under our deletion", pod().deleting(NOW).exited(75, "Error", CKPT), true,
                        SUSPENDED, Causes.SUSPENDED),
                row("suspend: pod gone", null, true, SUSPENDED, Causes.SUSPENDED),
                // Failure
                row("exit 1 with the trainer's reason", pod().exited(1, "Error", "failed: reason=NonFiniteLoss loss became NaN at step 812"),
                        false, FAILURE, "NonFiniteLoss"),
                row("exit 1 without a message", pod().exited(1, "Error", ""), false, FAILURE, Causes.NON_ZERO_EXIT),
                row("exit 137 with no platform signal (killed)", pod().exited(137, "Error", null), false, FAILURE, Causes.NON_ZERO_EXIT),
                row("OOMKilled (container memory limit)", pod().exited(137, "OOMKilled", ""), false, FAILURE, Causes.OOM_KILLED),
                row("kubelet rejected the pod (OutOfnvidia.com/gpu)", pod().reason("OutOfnvidia.com/gpu", "insufficient").phase("Failed")
                        .noContainer(), false, FAILURE, Causes.POD_REJECTED),
                // Still going
                row("running", pod(), false, null, null),
                row("gated by Kueue (SchedulingGated)", pod().unscheduled(), false, null, null),
                row("pulling the image for a short while", pod().waiting("ImagePullBackOff").phase("Pending"), false, null, null),
                row("terminating after our suspend, trainer still checkpointing", pod().deleting(NOW), true, null, null),
                row("terminating after someone else's delete", pod().deleting(NOW), false, null, null),
                row("node unreachable (phase Unknown)", pod().phase("Unknown"), false, null, null),
                row("container config error for a short while", pod().waiting("CreateContainerConfigError"), false, null, null));
    }

    static Stream<Arguments> stuck() {
        Instant later = T0.plus(Duration.ofMinutes(6));
        return Stream.of(
                Arguments.of("ImagePullBackOff past the 5 min grace", pod().waiting("ImagePullBackOff").build(), later,
                        Causes.IMAGE_PULL_FAILED),
                Arguments.of("ErrImagePull past the grace", pod().waiting("ErrImagePull").build(), later, Causes.IMAGE_PULL_FAILED),
                Arguments.of("InvalidImageName at once", pod().waiting("InvalidImageName").build(), T0.plusSeconds(1),
                        Causes.IMAGE_PULL_FAILED),
                Arguments.of("CreateContainerConfigError past the 2 min grace", pod().waiting("CreateContainerConfigError").build(),
                        T0.plus(Duration.ofMinutes(3)), Causes.CONTAINER_CONFIG_ERROR));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void classifies(String name, PodSnapshot pod, boolean suspend, PodEnding.Kind kind, String cause) {
        Optional<PodEnding> ending = PodEndingClassifier.classify(pod, "ft-1", suspend, T0.plusSeconds(30),
                PodEndingClassifier.Settings.DEFAULT);
        if (kind == null) {
            assertThat(ending).as(name).isEmpty();
            return;
        }
        assertThat(ending).as(name).isPresent();
        assertAll(name,
                () -> assertThat(ending.get().kind()).isEqualTo(kind),
                () -> assertThat(ending.get().cause()).isEqualTo(cause),
                () -> assertThat(ending.get().message()).contains(kind == SUCCESS ? "succeeded: step=" : "ft-1"),
                () -> assertThat(ending.get().deletePod()).isFalse());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stuck")
    void podsStuckBeforeStartFailAndAreDeleted(String name, PodSnapshot pod, Instant now, String cause) {
        PodEnding e = PodEndingClassifier.classify(pod, "ft-1", false, now, PodEndingClassifier.Settings.DEFAULT).orElseThrow();
        assertThat(e.kind()).isEqualTo(FAILURE);
        assertThat(e.cause()).isEqualTo(cause);
        assertThat(e.deletePod()).isTrue();
    }

    /** Exit code, termination message, expected cause, expected permanent (docs/operator.md, "exit 2" rows). */
    static Stream<Arguments> permanence() {
        return Stream.of(
                Arguments.of(2, "failed: reason=InvalidSpec spec.data.train is empty: set it", "InvalidSpec", true),
                Arguments.of(2, "failed: reason=ScheduleChanged checkpoint step-000000001000 was written under sha256:aa",
                        "ScheduleChanged", true),
                Arguments.of(2, "failed: reason=CorruptCheckpoint no checkpoint verifies", "CorruptCheckpoint", true),
                Arguments.of(2, "failed: reason=NonFiniteLoss loss became NaN at step 812 (deterministic: a retry diverges again)",
                        "NonFiniteLoss", true),
                Arguments.of(2, "failed: reason=BadRecord /data/train.csv:202: field 'f3' value 'x' is not a finite number",
                        "BadRecord", false),
                Arguments.of(2, "failed: reason=MissingFile /data/train.csv does not exist", "MissingFile", false),
                Arguments.of(2, "failed: reason=MissingLocalFile spec.data.train file /app/train.csv does not exist",
                        "MissingLocalFile", true),
                Arguments.of(2, "failed: reason=CheckpointDirNotWritable checkpoint directory /ck is not usable",
                        "CheckpointDirNotWritable", true),
                Arguments.of(2, "failed: reason=SomethingNew the trainer is newer than the operator", "SomethingNew", true),
                Arguments.of(2, "", Causes.INVALID_INPUT, true),
                Arguments.of(2, "no reason here", Causes.INVALID_INPUT, true),
                Arguments.of(1, "failed: reason=BadRecord /data/train.csv:3: field 'f0' is empty", "BadRecord", false),
                Arguments.of(1, "failed: reason=InvalidSpec not exit 2, so not permanent", "InvalidSpec", false),
                Arguments.of(1, "failed: reason=Crash java.lang.IllegalStateException", "Crash", false),
                // a node whose GPUs are not usable: counted and retried on a new pod (maybe another node)
                Arguments.of(1, "failed: reason=NoGPU requested 1 GPU(s) (spec.resources.gpus=1, --device gpu) but PyTorch "
                        + "2.5.1 (cpu native library) sees 0 GPU(s)", "NoGPU", false));
    }

    @ParameterizedTest(name = "exit {0} ''{1}'' -> {2}, permanent={3}")
    @MethodSource("permanence")
    void onlyExitTwoOfInputThatCannotChangeIsPermanent(int exit, String message, String cause, boolean permanent) {
        PodEnding e = PodEndingClassifier.classify(pod().exited(exit, "Error", message).build(), "ft-1", false, NOW,
                PodEndingClassifier.Settings.DEFAULT).orElseThrow();
        assertThat(e.kind()).isEqualTo(FAILURE);
        assertThat(e.cause()).isEqualTo(cause);
        assertThat(e.permanent()).isEqualTo(permanent);
        assertThat(e.exitCode()).isEqualTo(exit);
        if (!message.isEmpty()) {
            assertThat(e.message()).contains(message);
        }
    }

    @org.junit.jupiter.api.Test
    void trainerReasonIsReadFromTheFailedLineOnly() {
        assertThat(PodEndingClassifier.trainerReason("failed: reason=BadRecord x.csv:2")).contains("BadRecord");
        assertThat(PodEndingClassifier.trainerReason("  failed: reason=MissingFile\n")).contains("MissingFile");
        assertThat(PodEndingClassifier.trainerReason("checkpointed after preemption: step=3 checkpoint=c")).isEmpty();
        assertThat(PodEndingClassifier.trainerReason(null)).isEmpty();
    }

    private static Arguments row(String name, Pods pod, boolean suspend, PodEnding.Kind kind, String cause) {
        return Arguments.of(name, pod == null ? null : pod.build(), suspend, kind, cause);
    }
}
