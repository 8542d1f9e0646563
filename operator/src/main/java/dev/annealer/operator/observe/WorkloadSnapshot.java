package dev.annealer.operator.observe;

import java.util.Map;
import java.util.Optional;

/**
 * What {@code decide()} needs of the job's Kueue {@code Workload} (kueue.x-k8s.io/v1beta2), read from the cache.
 *
 * @param name          the Workload's name
 * @param quotaReserved condition {@code QuotaReserved=True} (status.admission is set)
 * @param admitted      condition {@code Admitted=True} (quota reserved and every admission check ready)
 * @param evicted       condition {@code Evicted=True}: its reason (Preempted, InactiveWorkload, ...) and message
 * @param finished      condition {@code Finished=True}
 * @param pending       Kueue's reason and message for not admitting it yet ({@code QuotaReserved=False}, or the
 *                      {@code Admitted=False} one), e.g. "couldn't assign flavors to pod set trainer: insufficient
 *                      unused quota for nvidia.com/gpu in flavor gpu, 1 more needed"
 * @param clusterQueue  {@code status.admission.clusterQueue}, when admitted
 * @param nodeSelector  the node labels of the ResourceFlavors Kueue assigned (what the pod must select), resolved
 *                      by the observer when the workload is admitted
 */
public record WorkloadSnapshot(String name, boolean quotaReserved, boolean admitted, Optional<Condition> evicted,
        boolean finished, Optional<Condition> pending, Optional<String> clusterQueue, Map<String, String> nodeSelector) {

    /** A Kueue condition's reason and message. */
    public record Condition(String reason, String message) {
    }

    public WorkloadSnapshot {
        nodeSelector = Map.copyOf(nodeSelector);
    }
}
