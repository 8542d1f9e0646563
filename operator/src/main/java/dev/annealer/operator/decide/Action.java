package dev.annealer.operator.decide;

import java.time.Duration;
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
     * @param resumeLatency for a pod replacing a preempted one: from the old pod's end to now (metrics)
     */
    record CreatePod(int attempt, Optional<Duration> resumeLatency) implements Action {
    }

    /** Delete a pod; {@code graceSeconds} lets the trainer checkpoint on SIGTERM. */
    record DeletePod(String name, long graceSeconds) implements Action {
    }

    /** Remove the job's owner reference from the checkpoint PVC so it outlives the job (reclaimPolicy Retain). */
    record ReleaseCheckpointPvc() implements Action {
    }

    /** Delete the FineTuneJob itself (TTL after finished); owned resources follow by garbage collection. */
    record DeleteJob() implements Action {
    }
}
