package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.api.v1alpha1.StatusDisplay;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What happens when the API server refuses the pod a decision created (a quota or Pod Security 403, a 422), pure:
 * the attempt is not counted (status.attempt stays, the next reconcile creates the same pod again), Running=False and
 * Stalled=True with reason {@value Reasons#POD_CREATION_FAILED} and the API server's message, a Warning event, and a
 * retry after {@link #RETRY}. Transient answers (409, 429, 5xx) are not handled here: the reconcile is retried.
 */
public final class PodCreationFailure {

    static final Duration RETRY = Duration.ofMinutes(1);

    private PodCreationFailure() {
    }

    /** 4xx answers that a retry of the same request will not change (409 means it exists; 429 is load). */
    public static boolean isRefusal(int httpCode) {
        return httpCode >= 400 && httpCode < 500 && httpCode != 409 && httpCode != 429;
    }

    /** The decision to record instead of {@code d} after {@code create} was refused with {@code apiMessage}. */
    public static Decision refused(FineTuneJob job, Decision d, Action.CreatePod create, int httpCode, String apiMessage,
            Instant now) {
        FineTuneJobStatus old = job.getStatus() == null ? new FineTuneJobStatus() : job.getStatus();
        FineTuneJobStatus s = Serialization.jsonMapper().convertValue(d.status(), FineTuneJobStatus.class);
        Long gen = job.getMetadata().getGeneration();
        s.setAttempt(create.attempt() - 1);
        s.setStartTime(old.getStartTime());
        s.setPhase(Phase.PENDING);
        String pod = job.getMetadata().getName() + "-" + create.attempt();
        String message = "the API server refused pod " + pod + " (HTTP " + httpCode + "): " + apiMessage
                + "; retried every " + RETRY.toSeconds() + " s: fix the cause (resource quota, Pod Security, "
                + "namespace policy)";
        Conditions.set(s.getConditions(), ConditionTypes.RUNNING, "False", Reasons.POD_CREATION_FAILED, message, now, gen);
        KstatusConditions.derive(s, now, gen);
        s.setDisplay(StatusDisplay.of(s));
        List<JobEvent> events = List.of(JobEvent.warning(Reasons.POD_CREATION_FAILED, message));
        List<Action> applied = d.actions().subList(0, d.actions().indexOf(create));
        return new Decision(applied, s, events, d.accountedEnding(), Optional.of(RETRY));
    }
}
