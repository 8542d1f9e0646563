package dev.annealer.operator.decide;

import java.time.Instant;
import java.util.Optional;

/** What {@code decide()} asks the actuator to do, in list order, before the single status write. */
public sealed interface Action {

    /** Create or update the ConfigMap {@code <job>-spec} (key job.yaml = the whole job). */
    record ApplySpecConfigMap() implements Action {
    }

    /** Create the checkpoint PVC {@code <job>-checkpoints} (its spec is immutable once created). */
    record CreateCheckpointPvc() implements Action {
    }

    /** Create the Secret {@code <job>-progress} with a fresh random token. */
    record CreateProgressSecret() implements Action {
    }

    /**
     * Create the trainer pod of an attempt.
     *
     * @param replacedPodEnd for a pod replacing a preempted one: when the old pod ended (resume-latency metric,
     *                       measured when the new pod has been created)
     */
    record CreatePod(int attempt, Optional<Instant> replacedPodEnd) implements Action {
    }

    /** Delete a pod; {@code graceSeconds} lets the trainer checkpoint on SIGTERM. */
    record DeletePod(String name, long graceSeconds) implements Action {
    }

    /** Delete a pod with its own grace period (the trainer checkpoints on SIGTERM): the job is being deleted. */
    record StopPod(String name) implements Action {
    }

    /** Remove the job's owner reference from the checkpoint PVC so it outlives the job (reclaimPolicy Retain). */
    record ReleaseCheckpointPvc() implements Action {
    }

    /** Delete the FineTuneJob itself (TTL after finished); owned resources follow by garbage collection. */
    record DeleteJob() implements Action {
    }
}
