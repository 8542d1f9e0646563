package dev.annealer.operator.observe;

import dev.annealer.operator.act.DesiredResources;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Maps a fabric8 {@link Pod} to the immutable {@link PodSnapshot} {@code decide()} reads. Pure. */
public final class PodSnapshots {

    private PodSnapshots() {
    }

    public static PodSnapshot of(Pod pod) {
        PodStatus st = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        List<PodSnapshot.PodConditionSnapshot> conditions = st.getConditions() == null ? List.of()
                : st.getConditions().stream().map(PodSnapshots::condition).toList();
        Instant scheduledAt = conditions.stream().filter(c -> "PodScheduled".equals(c.type()) && "True".equals(c.status()))
                .map(PodSnapshot.PodConditionSnapshot::lastTransition).findFirst().orElse(null);
        Optional<ContainerSnapshot> trainer = st.getContainerStatuses() == null ? Optional.empty()
                : st.getContainerStatuses().stream().filter(cs -> DesiredResources.CONTAINER.equals(cs.getName()))
                        .findFirst().map(PodSnapshots::container);
        String attemptLabel = pod.getMetadata().getLabels() == null ? null
                : pod.getMetadata().getLabels().get(DesiredResources.LABEL_ATTEMPT);
        return new PodSnapshot(pod.getMetadata().getName(), parseInt(attemptLabel), st.getPhase(), st.getReason(),
                st.getMessage(), st.getPodIP(), time(pod.getMetadata().getCreationTimestamp()),
                time(pod.getMetadata().getDeletionTimestamp()), scheduledAt, conditions, trainer,
                pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds());
    }

    private static PodSnapshot.PodConditionSnapshot condition(PodCondition c) {
        return new PodSnapshot.PodConditionSnapshot(c.getType(), c.getStatus(), c.getReason(), c.getMessage(),
                time(c.getLastTransitionTime()));
    }

    private static ContainerSnapshot container(ContainerStatus cs) {
        ContainerState state = cs.getState();
        if (state == null) {
            return new ContainerSnapshot(null, null, null);
        }
        if (state.getTerminated() != null) {
            var t = state.getTerminated();
            return ContainerSnapshot.terminated(t.getExitCode() == null ? -1 : t.getExitCode(), t.getReason(),
                    t.getMessage(), time(t.getFinishedAt()));
        }
        if (state.getRunning() != null) {
            return ContainerSnapshot.running(time(state.getRunning().getStartedAt()));
        }
        if (state.getWaiting() != null) {
            return ContainerSnapshot.waiting(state.getWaiting().getReason(), state.getWaiting().getMessage());
        }
        return new ContainerSnapshot(null, null, null);
    }

    static Instant time(String rfc3339) {
        if (rfc3339 == null || rfc3339.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(rfc3339);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static int parseInt(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
