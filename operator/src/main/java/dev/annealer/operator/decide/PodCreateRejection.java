package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.api.v1alpha1.StatusDisplay;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The API server refused the trainer pod {@code decide()} asked for (a ResourceQuota or Pod Security 403, an invalid
 * pod 422): without this the actuator's exception only reaches JOSDK's retry log and the job sits Pending with no
 * word why. Pure: turns the decision into one that did not start the attempt (status.attempt and startTime as before,
 * so the spec stays editable), with Running=False reason {@code PodCreateRejected} carrying the API server's message,
 * Stalled=True (kstatus: a human must act), a Warning event, and a retry after {@code retryAfter}. Not a failure: quota frees up, policies get fixed.
 */
public final class PodCreateRejection {

    private PodCreateRejection() {
    }

    /** What the API server said: HTTP code and its status message. */
    public record Rejected(String podName, int code, String message) {
    }

    /** Whether an API error on pod creation is the server refusing this pod (not a conflict, throttle or outage). */
    public static boolean isRejection(int code) {
        return code >= 400 && code < 500 && code != 409 && code != 429; // 409: it exists; 429: load, retried
    }

    public static Decision apply(FineTuneJob job, Decision decided, Rejected r, Instant now, Duration retryAfter) {
        FineTuneJobStatus old = job.getStatus() == null ? new FineTuneJobStatus() : job.getStatus();
        FineTuneJobStatus s = Serialization.jsonMapper().convertValue(decided.status(), FineTuneJobStatus.class);
        s.setAttempt(old.getAttempt() == null ? 0 : old.getAttempt());
        s.setStartTime(old.getStartTime());
        s.setPhase(Phase.PENDING);
        String message = "the API server refused pod " + r.podName() + " (HTTP " + r.code() + "): " + r.message()
                + hint(r) + "; retrying every " + retryAfter.toSeconds() + " s";
        Conditions.set(s.getConditions(), ConditionTypes.RUNNING, FineTuneJobCondition.FALSE, Reasons.POD_CREATE_REJECTED,
                message, now, job.getMetadata().getGeneration());
        KstatusConditions.derive(s, now, job.getMetadata().getGeneration()); // Stalled=True: waits on a human
        s.setDisplay(StatusDisplay.of(s));
        // the accounted ending's event (e.g. Preempted) stands; Created/Resumed did not happen
        List<JobEvent> events = new ArrayList<>(decided.events().stream()
                .filter(e -> !Reasons.CREATED.equals(e.reason()) && !Reasons.RESUMED.equals(e.reason())).toList());
        boolean alreadyReported = Conditions.find(old.getConditions(), ConditionTypes.RUNNING)
                .map(c -> Reasons.POD_CREATE_REJECTED.equals(c.getReason()) && message.equals(c.getMessage()))
                .orElse(false);
        if (!alreadyReported) {
            events.add(JobEvent.warning(Reasons.POD_CREATE_REJECTED, message));
        }
        // actions before the pod (ConfigMap, PVC, Secret) were carried out; nothing after it ran
        List<Action> done = decided.actions().stream().takeWhile(a -> !(a instanceof Action.CreatePod)).toList();
        return new Decision(done, s, events, decided.accountedEnding(), Optional.of(retryAfter));
    }

    private static String hint(Rejected r) {
        String m = r.message() == null ? "" : r.message();
        if (m.contains("exceeded quota")) {
            return " (a ResourceQuota of the namespace is used up: the pod starts when room frees up or the quota grows)";
        }
        if (m.contains("violates PodSecurity")) {
            return " (the namespace's Pod Security level forbids the pod: see spec.template)";
        }
        return "";
    }
}
