package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.FineTuneJobStatus;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The output of {@code decide()}: actions (in order), the complete new status (written once, and only when it
 * differs from the old one), events (after the status write), the ending that was accounted (for metrics), and
 * when to look again.
 */
public record Decision(List<Action> actions, FineTuneJobStatus status, List<JobEvent> events,
        Optional<PodEnding> accountedEnding, Optional<Duration> requeueAfter) {

    public Decision {
        actions = List.copyOf(actions);
        events = List.copyOf(events);
    }
}
