package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;

import java.time.Instant;
import java.util.List;

/**
 * The kstatus conditions ({@code Ready}, {@code Reconciling}, {@code Stalled}), derived from the job's own conditions
 * and phase after {@code decide()} set them, so they can never disagree with them. kstatus (Flux, cli-utils) reads a
 * custom resource as: {@code status.observedGeneration != metadata.generation} or {@code Reconciling=True} ->
 * InProgress; {@code Stalled=True} -> Failed; else {@code Ready=False} -> InProgress; otherwise Current. Hence:
 *
 * <table>
 *   <tr><th>job</th><th>Ready</th><th>Reconciling</th><th>Stalled</th><th>kstatus</th></tr>
 *   <tr><td>Failed</td><td>False (its reason)</td><td>False</td><td>True (its reason)</td><td>Failed</td></tr>
 *   <tr><td>spec rejected (Accepted=False)</td><td>False</td><td>False</td><td>True (Accepted's reason)</td><td>Failed</td></tr>
 *   <tr><td>pod refused by the API server</td><td>False</td><td>False</td><td>True, PodCreateRejected (the API
 *       server's message)</td><td>Failed</td></tr>
 *   <tr><td>Succeeded</td><td>True, TrainingCompleted</td><td>False</td><td>False</td><td>Current</td></tr>
 *   <tr><td>trainer running</td><td>True, PodRunning</td><td>False</td><td>False</td><td>Current</td></tr>
 *   <tr><td>Suspended (no pod)</td><td>False, SuspendRequested</td><td>False</td><td>False</td><td>InProgress
 *       (Ready=False: a suspended job is not ready)</td></tr>
 *   <tr><td>suspend in progress</td><td>False</td><td>True, Suspending</td><td>False</td><td>InProgress</td></tr>
 *   <tr><td>otherwise (pod pending, gated, backoff, preempted)</td><td>False</td><td>True, Running's reason</td>
 *       <td>False</td><td>InProgress</td></tr>
 * </table>
 * Every condition carries {@code observedGeneration} (set by {@link Conditions#set}).
 */
public final class KstatusConditions {

    private KstatusConditions() {
    }

    /** Sets Ready, Reconciling and Stalled in {@code s.getConditions()} (complete, see {@link Conditions#complete}). */
    public static void derive(FineTuneJobStatus s, Instant now, Long generation) {
        List<FineTuneJobCondition> c = s.getConditions();
        FineTuneJobCondition running = Conditions.find(c, ConditionTypes.RUNNING).orElseThrow();
        FineTuneJobCondition accepted = Conditions.find(c, ConditionTypes.ACCEPTED).orElseThrow();
        FineTuneJobCondition failed = Conditions.find(c, ConditionTypes.FAILED).orElseThrow();
        FineTuneJobCondition succeeded = Conditions.find(c, ConditionTypes.SUCCEEDED).orElseThrow();
        FineTuneJobCondition suspended = Conditions.find(c, ConditionTypes.SUSPENDED).orElseThrow();
        Setter set = (type, status, reason, message) -> Conditions.set(c, type, status, reason, message, now, generation);

        if (isTrue(failed) || s.getPhase() == Phase.FAILED) {
            set.set(ConditionTypes.READY, FineTuneJobCondition.FALSE, failed.getReason(), "the job failed");
            set.set(ConditionTypes.RECONCILING, FineTuneJobCondition.FALSE, Reasons.RECONCILED, "the job failed");
            set.set(ConditionTypes.STALLED, FineTuneJobCondition.TRUE, failed.getReason(), failed.getMessage());
            return;
        }
        if (isTrue(succeeded) || s.getPhase() == Phase.SUCCEEDED) {
            set.set(ConditionTypes.READY, FineTuneJobCondition.TRUE, Reasons.TRAINING_COMPLETED,
                    s.getFinalModel() == null ? "training completed" : "training completed; model at " + s.getFinalModel());
            set.set(ConditionTypes.RECONCILING, FineTuneJobCondition.FALSE, Reasons.RECONCILED, "the job succeeded");
            set.set(ConditionTypes.STALLED, FineTuneJobCondition.FALSE, Reasons.NOT_STALLED, "the job succeeded");
            return;
        }
        if (FineTuneJobCondition.FALSE.equals(accepted.getStatus())) {
            String why = "the spec was not accepted: " + accepted.getMessage();
            set.set(ConditionTypes.READY, FineTuneJobCondition.FALSE, accepted.getReason(), why);
            set.set(ConditionTypes.RECONCILING, FineTuneJobCondition.FALSE, Reasons.RECONCILED,
                    "nothing to do until the spec is fixed");
            set.set(ConditionTypes.STALLED, FineTuneJobCondition.TRUE, accepted.getReason(), why);
            return;
        }
        if (Reasons.POD_CREATE_REJECTED.equals(running.getReason())) {
            set.set(ConditionTypes.READY, FineTuneJobCondition.FALSE, running.getReason(), running.getMessage());
            set.set(ConditionTypes.RECONCILING, FineTuneJobCondition.FALSE, Reasons.RECONCILED,
                    "waiting for the cause of the refused pod to be fixed");
            set.set(ConditionTypes.STALLED, FineTuneJobCondition.TRUE, running.getReason(), running.getMessage());
            return;
        }
        set.set(ConditionTypes.STALLED, FineTuneJobCondition.FALSE, Reasons.NOT_STALLED, "the job can progress");
        boolean suspendRequested = isTrue(suspended);
        if (suspendRequested && s.getPhase() == Phase.SUSPENDED) {
            set.set(ConditionTypes.READY, FineTuneJobCondition.FALSE, Reasons.SUSPEND_REQUESTED, suspended.getMessage());
            set.set(ConditionTypes.RECONCILING, FineTuneJobCondition.FALSE, Reasons.RECONCILED, "suspended");
        } else if (suspendRequested) {
            set.set(ConditionTypes.READY, FineTuneJobCondition.FALSE, Reasons.SUSPENDING, suspended.getMessage());
            set.set(ConditionTypes.RECONCILING, FineTuneJobCondition.TRUE, Reasons.SUSPENDING, suspended.getMessage());
        } else if (isTrue(running)) {
            set.set(ConditionTypes.READY, FineTuneJobCondition.TRUE, running.getReason(), running.getMessage());
            set.set(ConditionTypes.RECONCILING, FineTuneJobCondition.FALSE, Reasons.RECONCILED, "the trainer runs");
        } else {
            set.set(ConditionTypes.READY, FineTuneJobCondition.FALSE, running.getReason(), running.getMessage());
            set.set(ConditionTypes.RECONCILING, FineTuneJobCondition.TRUE, running.getReason(), running.getMessage());
        }
    }

    private static boolean isTrue(FineTuneJobCondition c) {
        return FineTuneJobCondition.TRUE.equals(c.getStatus());
    }

    @FunctionalInterface
    private interface Setter {
        void set(String type, String status, String reason, String message);
    }
}
