package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.Defaults;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.ReclaimPolicy;
import dev.annealer.operator.observe.Observation;
import dev.annealer.operator.observe.PodSnapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What deleting a FineTuneJob does before its finalizer {@value #FINALIZER} is removed, pure: the live trainer pod is
 * stopped with its own grace period (the trainer checkpoints on SIGTERM into the PVC), the finalizer stays until the
 * pod is gone (so nothing else, e.g. the garbage collector, races the checkpoint), then a still-owned PVC is released
 * when the reclaim policy is Retain (the default, also without {@code spec.checkpoint}; PVCs created by this version
 * are not owned at all), and the finalizer goes.
 */
public final class DeletionPolicy {

    /** The finalizer the operator puts on every FineTuneJob. */
    public static final String FINALIZER = "annealer.dev/checkpoints";
    /** How often a deletion waiting for its pod looks again (pod events also trigger it). */
    static final Duration RECHECK = Duration.ofSeconds(2);

    /**
     * @param actions  to apply now
     * @param done     true: remove the finalizer (after the actions)
     * @param recheck  when to look again if not done
     */
    public record Verdict(List<Action> actions, boolean done, Optional<Duration> recheck) {
        public Verdict {
            actions = List.copyOf(actions);
        }
    }

    private DeletionPolicy() {
    }

    public static Verdict decide(FineTuneJob job, Observation obs) {
        List<Action> actions = new ArrayList<>();
        Optional<PodSnapshot> pod = obs.pod();
        if (pod.isPresent() && !ended(pod.get())) {
            if (!pod.get().isDeleting()) {
                actions.add(new Action.StopPod(pod.get().name()));
            }
            return new Verdict(actions, false, Optional.of(RECHECK));
        }
        var spec = job.getSpec() == null ? new dev.annealer.api.v1alpha1.FineTuneJobSpec() : job.getSpec();
        if (Defaults.reclaimPolicy(spec) == ReclaimPolicy.RETAIN && obs.pvcOwnedByJob()) {
            actions.add(new Action.ReleaseCheckpointPvc());
        }
        return new Verdict(actions, true, Optional.empty());
    }

    /** The trainer has exited (or the pod finished): nothing writes to the PVC any more. */
    private static boolean ended(PodSnapshot p) {
        return "Succeeded".equals(p.phase()) || "Failed".equals(p.phase())
                || p.trainer().map(c -> c.terminated() != null).orElse(false);
    }
}
