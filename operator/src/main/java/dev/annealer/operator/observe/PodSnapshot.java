package dev.annealer.operator.observe;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Immutable record of one trainer pod as the operator last saw it: what {@code decide()} needs to classify
 * how an attempt ended, and nothing it could mutate.
 *
 * @param name              pod name, {@code <job>-<attempt>}
 * @param attempt           the attempt number parsed from the pod's label
 * @param phase             pod phase (Pending, Running, Succeeded, Failed, Unknown)
 * @param reason            {@code status.reason} (e.g. Evicted, NodeLost, Shutdown), may be null
 * @param message           {@code status.message}, may be null
 * @param podIp             {@code status.podIP}, null until assigned
 * @param created           {@code metadata.creationTimestamp}
 * @param deletionRequested {@code metadata.deletionTimestamp}, null when nobody asked to delete the pod
 * @param scheduledAt       lastTransitionTime of {@code PodScheduled=True}, null when not scheduled yet
 * @param conditions        pod conditions (incl. {@code DisruptionTarget})
 * @param trainer           state of the trainer container, empty before the kubelet reports it
 * @param graceSeconds      {@code spec.terminationGracePeriodSeconds} the pod was created with, null when unknown
 */
public record PodSnapshot(
        String name,
        int attempt,
        String phase,
        String reason,
        String message,
        String podIp,
        Instant created,
        Instant deletionRequested,
        Instant scheduledAt,
        List<PodConditionSnapshot> conditions,
        Optional<ContainerSnapshot> trainer,
        Long graceSeconds) {

    public PodSnapshot(String name, int attempt, String phase, String reason, String message, String podIp,
            Instant created, Instant deletionRequested, Instant scheduledAt, List<PodConditionSnapshot> conditions,
            Optional<ContainerSnapshot> trainer) {
        this(name, attempt, phase, reason, message, podIp, created, deletionRequested, scheduledAt, conditions, trainer,
                null);
    }

    public PodSnapshot {
        conditions = List.copyOf(conditions);
        trainer = trainer == null ? Optional.empty() : trainer;
    }

    /** The condition of this type with status True, if any. */
    public Optional<PodConditionSnapshot> trueCondition(String type) {
        return conditions.stream().filter(c -> type.equals(c.type()) && "True".equals(c.status())).findFirst();
    }

    public boolean isDeleting() {
        return deletionRequested != null;
    }

    /** A pod condition. */
    public record PodConditionSnapshot(String type, String status, String reason, String message, Instant lastTransition) {
    }
}
