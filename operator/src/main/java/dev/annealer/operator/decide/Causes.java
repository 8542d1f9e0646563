package dev.annealer.operator.decide;

import java.util.Set;

/**
 * Machine-readable causes of a pod ending (event reasons and condition message prefixes). The
 * {@code DisruptionTarget} reasons are Kubernetes' own and are passed through unchanged.
 */
public final class Causes {
    // Preemption: Kubernetes' DisruptionTarget reasons
    public static final String PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler";
    public static final String EVICTION_BY_EVICTION_API = "EvictionByEvictionAPI";
    public static final String DELETION_BY_TAINT_MANAGER = "DeletionByTaintManager";
    public static final String TERMINATION_BY_KUBELET = "TerminationByKubelet";
    public static final String DELETION_BY_POD_GC = "DeletionByPodGC";
    // Preemption: observed by the operator
    /** The pod was deleted by someone other than the operator (a user, Kueue, a descheduler, a drain). */
    public static final String POD_DELETED = "PodDeleted";
    /** The pod's node was lost (status.reason NodeLost / phase Unknown, then removed). */
    public static final String NODE_LOST = "NodeLost";
    /** The kubelet evicted the pod (node pressure) or shut the node down gracefully. */
    public static final String EVICTED = "Evicted";
    /** The trainer exited 75 after checkpointing on SIGTERM. */
    public static final String CHECKPOINTED_AFTER_PREEMPTION = "CheckpointedAfterPreemption";

    // Failure
    public static final String OOM_KILLED = "OOMKilled";
    public static final String IMAGE_PULL_FAILED = "ImagePullFailed";
    public static final String CONTAINER_CONFIG_ERROR = "ContainerConfigError";
    /** Exit 2 without a parsable trainer reason: invalid input (spec, data, schedule vs checkpoint). */
    public static final String INVALID_INPUT = "InvalidInput";
    /** A non-zero exit without a trainer reason in the termination message. */
    public static final String NON_ZERO_EXIT = "NonZeroExit";
    /** Exit 0 without a {@code succeeded:} termination message: not the Annealer trainer, or it was cut short. */
    public static final String UNEXPECTED_EXIT = "UnexpectedExit";
    /** The kubelet rejected the pod before the container ran (e.g. OutOfnvidia.com/gpu, UnexpectedAdmissionError). */
    public static final String POD_REJECTED = "PodRejected";

    // Success / suspend
    public static final String SUCCEEDED = "Succeeded";
    public static final String SUSPENDED = "Suspended";

    /** Every DisruptionTarget reason that marks a preemption; any other True DisruptionTarget counts too. */
    public static final Set<String> DISRUPTION_REASONS = Set.of(PREEMPTION_BY_SCHEDULER, "PreemptionByKubeScheduler",
            EVICTION_BY_EVICTION_API, DELETION_BY_TAINT_MANAGER, TERMINATION_BY_KUBELET, DELETION_BY_POD_GC);

    private Causes() {
    }
}
