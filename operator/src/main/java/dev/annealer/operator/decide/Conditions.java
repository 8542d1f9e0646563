package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pure helpers for {@code status.conditions}: every type of {@link ConditionTypes#ALL} always present, in that
 * order; {@code lastTransitionTime} kept unless the status flips (True/False/Unknown).
 */
public final class Conditions {

    private Conditions() {
    }

    /** A copy of the list with every type present (missing ones False, with the given default reasons). */
    public static List<FineTuneJobCondition> complete(List<FineTuneJobCondition> existing, Instant now, Long generation) {
        List<FineTuneJobCondition> out = new ArrayList<>();
        for (String type : ConditionTypes.ALL) {
            out.add(find(existing, type).map(Conditions::copy).orElseGet(() -> new FineTuneJobCondition(type,
                    FineTuneJobCondition.FALSE, null, null, now.toString(), generation)));
        }
        // conditions beyond the always-present ones (CheckpointFitsGracePeriod) are kept as they are
        for (FineTuneJobCondition c : existing == null ? List.<FineTuneJobCondition>of() : existing) {
            if (!ConditionTypes.ALL.contains(c.getType())) {
                out.add(copy(c));
            }
        }
        return out;
    }

    /** Sets one condition in place (the list from {@link #complete}); returns true when its status flipped. */
    public static boolean set(List<FineTuneJobCondition> conditions, String type, String status, String reason,
            String message, Instant now, Long generation) {
        FineTuneJobCondition c = find(conditions, type).orElseThrow();
        boolean flipped = !status.equals(c.getStatus());
        c.setStatus(status);
        c.setReason(reason);
        c.setMessage(message);
        c.setObservedGeneration(generation);
        if (flipped || c.getLastTransitionTime() == null) {
            c.setLastTransitionTime(now.toString());
        }
        return flipped;
    }

    public static Optional<FineTuneJobCondition> find(List<FineTuneJobCondition> conditions, String type) {
        return conditions == null ? Optional.empty()
                : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public static boolean isTrue(List<FineTuneJobCondition> conditions, String type) {
        return find(conditions, type).map(c -> FineTuneJobCondition.TRUE.equals(c.getStatus())).orElse(false);
    }

    public static Optional<String> reason(List<FineTuneJobCondition> conditions, String type) {
        return find(conditions, type).map(FineTuneJobCondition::getReason);
    }

    private static FineTuneJobCondition copy(FineTuneJobCondition c) {
        return new FineTuneJobCondition(c.getType(), c.getStatus(), c.getReason(), c.getMessage(),
                c.getLastTransitionTime(), c.getObservedGeneration());
    }
}
