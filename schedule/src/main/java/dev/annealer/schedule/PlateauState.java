package dev.annealer.schedule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of the restart-on-plateau machine (see {@link Plateau}): immutable, serializable with
 * {@link #toMap()} / {@link #fromMap(Map)} so a checkpoint can carry it and a resumed run continues the same curve.
 *
 * @param bestLoss best validation loss seen in the current cycle ({@code +Infinity} = none yet)
 * @param stale evaluations in the current cycle since the last improvement of more than {@code minDelta}
 * @param cycle the cycle {@code bestLoss} belongs to
 * @param lastStep the step of the last observation ({@code -1} = none); observations must be strictly increasing
 * @param restarts every early restart so far, ascending by step: cycle {@code cycle} started early at {@code step}
 */
public record PlateauState(double bestLoss, int stale, long cycle, long lastStep, List<Restart> restarts) {

    /**
     * An early restart: cycle {@code cycle} begins at step {@code step} (instead of at its natural start).
     *
     * @param step the first step of the restarted cycle
     * @param cycle the index of the cycle that starts there
     */
    public record Restart(long step, long cycle) {
    }

    public PlateauState {
        restarts = List.copyOf(restarts);
        for (int i = 1; i < restarts.size(); i++) {
            if (restarts.get(i).step() <= restarts.get(i - 1).step()
                    || restarts.get(i).cycle() <= restarts.get(i - 1).cycle()) {
                throw new IllegalArgumentException("plateau restarts must ascend in step and cycle (got " + restarts + ")");
            }
        }
        if (stale < 0) {
            throw new IllegalArgumentException("plateau stale count must be >= 0 (got " + stale + ")");
        }
    }

    /** The state before any observation. */
    public static PlateauState initial() {
        return new PlateauState(Double.POSITIVE_INFINITY, 0, 0, -1, List.of());
    }

    /** The last early restart at or before {@code step}, or null. Binary search: O(log restarts). */
    Restart restartAtOrBefore(long step) {
        int lo = 0;
        int hi = restarts.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (restarts.get(mid).step() <= step) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == 0 ? null : restarts.get(lo - 1);
    }

    /**
     * {@code {bestLoss: number|null, stale, cycle, lastStep, restarts: [{step, cycle}]}} (LinkedHashMap, this key
     * order; {@code bestLoss} is null instead of Infinity so the map is plain JSON).
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bestLoss", Double.isInfinite(bestLoss) ? null : bestLoss);
        m.put("stale", stale);
        m.put("cycle", cycle);
        m.put("lastStep", lastStep);
        List<Object> rs = new ArrayList<>();
        for (Restart r : restarts) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("step", r.step());
            e.put("cycle", r.cycle());
            rs.add(e);
        }
        m.put("restarts", rs);
        return m;
    }

    /** Reads what {@link #toMap()} wrote (numbers of any Number type). @throws IllegalArgumentException if malformed */
    public static PlateauState fromMap(Map<String, ?> m) {
        if (m == null) {
            throw new IllegalArgumentException("plateau state must be a map (got null)");
        }
        Object best = m.get("bestLoss");
        double bestLoss = best == null ? Double.POSITIVE_INFINITY : num(best, "bestLoss").doubleValue();
        int stale = (int) whole(m.get("stale"), "stale");
        long cycle = whole(m.get("cycle"), "cycle");
        long lastStep = whole(m.get("lastStep"), "lastStep");
        Object rs = m.get("restarts");
        List<Restart> restarts = new ArrayList<>();
        if (rs != null) {
            if (!(rs instanceof List<?> list)) {
                throw new IllegalArgumentException("plateau state restarts must be a list (got " + rs + ")");
            }
            for (Object o : list) {
                if (!(o instanceof Map<?, ?> e)) {
                    throw new IllegalArgumentException("plateau state restart must be a map {step, cycle} (got " + o + ")");
                }
                restarts.add(new Restart(whole(e.get("step"), "restarts[].step"), whole(e.get("cycle"), "restarts[].cycle")));
            }
        }
        return new PlateauState(bestLoss, stale, cycle, lastStep, restarts);
    }

    private static Number num(Object o, String field) {
        if (o instanceof Number n) {
            return n;
        }
        throw new IllegalArgumentException("plateau state " + field + " must be a number (got " + o + ")");
    }

    private static long whole(Object o, String field) {
        Number n = num(o, field);
        double d = n.doubleValue();
        if (d != Math.rint(d)) {
            throw new IllegalArgumentException("plateau state " + field + " must be a whole number (got " + o + ")");
        }
        return n.longValue();
    }
}
