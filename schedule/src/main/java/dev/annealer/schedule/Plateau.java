package dev.annealer.schedule;

import java.util.ArrayList;
import java.util.List;

import dev.annealer.schedule.SchedulePosition.Phase;

/**
 * Restart on plateau ({@code schedule.restartOnPlateau: {patience, minDelta}}): a deterministic state machine fed
 * validation losses that may start the next cycle early.
 *
 * <p>Rules for {@code observe(schedule, state, step, loss)}, where {@code loss} was measured after optimizer step
 * {@code step}:
 * <ol>
 *   <li>Steps must strictly increase; the loss must be finite.</li>
 *   <li>Only observations made while {@code position(step, state)} is ANNEALING count (not during warmup or hold).</li>
 *   <li>The first observation in a cycle (natural or early) sets its baseline: {@code best = loss, stale = 0}.</li>
 *   <li>Otherwise, {@code loss < best - minDelta} is an improvement ({@code best = loss, stale = 0}); anything else
 *       increments {@code stale}.</li>
 *   <li>When {@code stale >= patience} and a next cycle exists (cycle + 1 &lt; maxCycles), cycle + 1 starts at
 *       {@code step + 1}: a {@link PlateauState.Restart} is recorded and the baseline is cleared. Cycles after it keep
 *       their geometric lengths ({@code period * periodMultiplier^i}) counted from the restart.</li>
 * </ol>
 * The state is the only memory: {@code schedule.lr(step, state)} stays a pure function of (config, state, step).
 */
public final class Plateau {

    private Plateau() {
    }

    /** Feeds one validation loss; returns the next state (the input is never modified). */
    public static PlateauState observe(Schedule schedule, PlateauState state, long step, double validationLoss) {
        if (state == null) {
            state = PlateauState.initial();
        }
        if (!Double.isFinite(validationLoss)) {
            throw new IllegalArgumentException("validationLoss must be finite (got " + validationLoss + " at step " + step
                    + "): a non-finite loss cannot be compared against the plateau baseline");
        }
        if (step <= state.lastStep()) {
            throw new IllegalArgumentException("validation step must increase (got " + step + " after " + state.lastStep()
                    + "): observations replayed after a resume are already in the checkpointed state");
        }
        if (!schedule.restartsOnPlateau()) {
            return new PlateauState(state.bestLoss(), state.stale(), state.cycle(), step, state.restarts());
        }
        SchedulePosition pos = schedule.position(step, state);
        if (pos.phase() != Phase.ANNEALING) {
            return new PlateauState(state.bestLoss(), state.stale(), state.cycle(), step, state.restarts());
        }
        Plan plan = schedule.plan();
        if (pos.cycle() != state.cycle() || Double.isInfinite(state.bestLoss())) {
            return new PlateauState(validationLoss, 0, pos.cycle(), step, state.restarts());
        }
        if (validationLoss < state.bestLoss() - plan.minDelta) {
            return new PlateauState(validationLoss, 0, pos.cycle(), step, state.restarts());
        }
        int stale = state.stale() + 1;
        long next = pos.cycle() + 1;
        long count = schedule.cycleCount();
        if (stale >= plan.patience && (count < 0 || next < count)) {
            List<PlateauState.Restart> rs = new ArrayList<>(state.restarts());
            rs.add(new PlateauState.Restart(step + 1, next));
            return new PlateauState(Double.POSITIVE_INFINITY, 0, next, step, rs);
        }
        return new PlateauState(state.bestLoss(), stale, pos.cycle(), step, state.restarts());
    }
}
