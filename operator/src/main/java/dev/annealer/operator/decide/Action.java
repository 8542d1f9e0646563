package dev.annealer.operator.decide;

import java.time.Instant;
import java.util.Map;
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
     * @param nodeSelector   added to the pod's node selector: the node labels of the flavors Kueue admitted it with
     */
    record CreatePod(int attempt, Optional<Instant> replacedPodEnd, Map<String, String> nodeSelector) implements Action {
        public CreatePod {
            nodeSelector = Map.copyOf(nodeSelector);
        }

        public CreatePod(int attempt, Optional<Instant> replacedPodEnd) {
            this(attempt, replacedPodEnd, Map.of());
        }
    }

    /**
     * Create the pod of worker {@code rank >= 1} of an attempt ({@code spec.workers > 1}); {@code masterAddr} is the
     * rank-0 pod's IP, where its c10d TCPStore serves the rendezvous. The pod gets the rank-0 pod's node selector.
     */
    record CreateWorkerPod(int attempt, int rank, String masterAddr) implements Action {
    }

    /** Create the job's Kueue Workload (one for the job's whole life; see {@code KueueWorkloads#desired}). */
    record CreateWorkload() implements Action {
    }

    /**
     * Clear the evicted Workload's quota reservation once no trainer pod runs any more, as a Kueue job framework
     * must: {@code status.admission} removed, {@code QuotaReserved=False} (reason Pending), {@code Admitted=False},
     * {@code Requeued} set (True for a preemption), so Kueue queues it again.
     */
    record ReleaseWorkloadQuota(String name, String evictionReason, String message) implements Action {
    }

    /** Mark the Workload {@code Finished=True} (the job succeeded or failed): Kueue releases its quota for good. */
    record FinishWorkload(String name, boolean succeeded, String message) implements Action {
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
