package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.operator.observe.Observation;
import dev.annealer.operator.observe.WorkloadSnapshot;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A FineTuneJob queued through Kueue is ONE Kueue Workload for its whole life (Kueue's external-framework protocol):
 * the operator creates the Workload, starts a trainer pod only while it is admitted, stops the pod gracefully when
 * Kueue evicts it, then clears its quota reservation so Kueue queues it again, and marks it Finished at the end.
 * Pure: the observation in, verdicts out; {@link Decider} applies them.
 *
 * <ul>
 *   <li>{@link #beforeStart}: no pod is live and the next attempt is due. No Workload: create it and wait. Evicted
 *       and still holding quota: release the quota and wait. Admitted: start, with the flavors' node labels.
 *       Otherwise wait, with Kueue's reason in the message ({@link Reasons#WAITING_FOR_ADMISSION}).</li>
 *   <li>{@link #stopRequest}: a pod is live but the Workload is evicted or no longer admitted: stop it (SIGTERM,
 *       the trainer checkpoints); its ending is a preemption, never a failure.</li>
 *   <li>{@link #onFinished}: the job ended: the Workload is marked Finished once.</li>
 * </ul>
 */
public final class KueueAdmission {

    private KueueAdmission() {
    }

    /** The verdict before a new attempt. */
    public sealed interface Gate {
    }

    /** Start the attempt; the pod selects these node labels (the admitted flavors'). */
    public record Start(Map<String, String> nodeSelector) implements Gate {
    }

    /** Do not start: take these actions and keep Running=False with reason WaitingForAdmission and this message. */
    public record Wait(List<Action> actions, String message) implements Gate {
    }

    public static Gate beforeStart(FineTuneJob job, Observation obs) {
        if (!obs.kueue()) {
            return new Start(Map.of());
        }
        String queue = queue(job);
        if (obs.workload().isEmpty()) {
            return new Wait(List.of(new Action.CreateWorkload()), "created a Kueue Workload in LocalQueue " + queue
                    + "; no trainer pod runs until Kueue admits it");
        }
        WorkloadSnapshot w = obs.workload().get();
        if (w.evicted().isPresent()) {
            WorkloadSnapshot.Condition ev = w.evicted().get();
            String why = "Kueue evicted Workload " + w.name() + " (" + ev.reason() + "): " + ev.message();
            if (w.quotaReserved()) {
                return new Wait(List.of(new Action.ReleaseWorkloadQuota(w.name(), ev.reason(), ev.message())),
                        why + "; its quota is released and it waits to be admitted again");
            }
            return new Wait(List.of(), why + "; waiting for Kueue to admit it again");
        }
        if (w.admitted()) {
            return new Start(w.nodeSelector());
        }
        return new Wait(List.of(), "Workload " + w.name() + " in LocalQueue " + queue + " is not admitted by Kueue"
                + w.pending().map(p -> " (" + p.reason() + "): " + p.message()).orElse(" yet"));
    }

    /** Why a live attempt's pod must stop, or empty while the Workload stays admitted. */
    public static Optional<String> stopRequest(Observation obs) {
        if (!obs.kueue() || obs.workload().isEmpty()) {
            return Optional.empty();
        }
        WorkloadSnapshot w = obs.workload().get();
        if (w.evicted().isPresent()) {
            WorkloadSnapshot.Condition ev = w.evicted().get();
            return Optional.of("Kueue evicted Workload " + w.name() + " (" + ev.reason() + "): " + ev.message()
                    + "; stopping the trainer gracefully (it checkpoints on SIGTERM), counted as a preemption");
        }
        if (!w.quotaReserved() && !w.finished()) {
            return Optional.of("Workload " + w.name() + " lost its Kueue quota reservation; stopping the trainer "
                    + "gracefully (it checkpoints on SIGTERM), counted as a preemption");
        }
        return Optional.empty();
    }

    /** The job reached a terminal phase: mark its Workload Finished, once. */
    public static List<Action> onFinished(Observation obs, boolean succeeded, String message) {
        return obs.workload().filter(w -> !w.finished())
                .map(w -> List.<Action>of(new Action.FinishWorkload(w.name(), succeeded, message))).orElse(List.of());
    }

    static String queue(FineTuneJob job) {
        return job.getMetadata().getLabels() == null ? null
                : job.getMetadata().getLabels().get(FineTuneJob.KUEUE_QUEUE_LABEL);
    }
}
