package dev.annealer.cli;

import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.SchedulePosition;
import java.util.ArrayList;
import java.util.List;

/** The cycles of a schedule within the first {@code steps} steps, for tables and plots (pure). */
final class ScheduleTable {

    /** One row: a warmup, a cycle, or the final hold. */
    record Row(String label, long start, long length, double peak, double endLearningRate) {
    }

    private ScheduleTable() {
    }

    /** Warmup, then each cycle starting before {@code steps}, then the hold if it starts before {@code steps}. */
    static List<Row> rows(Schedule s, long steps) {
        List<Row> rows = new ArrayList<>();
        long w = s.warmupSteps();
        if (w > 0) {
            rows.add(new Row("warmup", 0, w, s.position(0).cyclePeak(), s.lr(w - 1)));
        }
        for (long c = 0; ; c++) {
            long start = s.cycleStart(c);
            if (start < 0 || start >= steps || c >= 10_000) {
                break;
            }
            SchedulePosition p = s.position(start);
            long len = p.cycleLength();
            long last = len > 0 ? start + len - 1 : start;
            rows.add(new Row(s.cycleCount() == 0 ? "constant" : "cycle " + c, start, len, p.cyclePeak(), s.lr(last)));
        }
        long end = s.endStep();
        if (end >= 0 && end < steps) {
            rows.add(new Row("hold", end, 0, s.lr(end), s.lr(end)));
        }
        return rows;
    }

    /** Cycle start steps (> 0) within the first {@code steps}, where the LR restarts. */
    static List<Long> boundaries(Schedule s, long steps) {
        List<Long> out = new ArrayList<>();
        for (long c = 0; c < 10_000; c++) {
            long start = s.cycleStart(c);
            if (start < 0 || start >= steps) {
                break;
            }
            if (start > 0) {
                out.add(start);
            }
        }
        long end = s.endStep();
        if (end > 0 && end < steps && !out.contains(end)) {
            out.add(end);
        }
        return out;
    }

    /**
     * Where the last step of training falls: "training ends at step N-1: 63% into cycle 4 at LR 2.1e-4", or at the
     * end of a cycle / in the hold.
     */
    static String ending(Schedule s, long totalSteps) {
        if (totalSteps <= 0) {
            return "training budget unknown (epochs without --steps-per-epoch)";
        }
        long last = totalSteps - 1;
        SchedulePosition p = s.position(last);
        String lr = String.format("%.3g", p.learningRate());
        return switch (p.phase()) {
            case WARMUP -> "training ends at step " + last + " inside the warmup, at LR " + lr;
            case HOLD -> s.cycleCount() == 0 ? "training ends at step " + last + " at the constant LR " + lr
                    : "training ends at step " + last + " in the final hold at LR " + lr
                    + (s.endStep() >= 0 ? " (the last cycle ended at step " + s.endStep() + ")" : "");
            case ANNEALING -> {
                if (p.cycleLength() > 0 && p.cycleStep() + 1 > p.cycleLength()) {
                    yield "training ends at step " + last + ", " + (p.cycleStep() + 1) + " steps into cycle " + p.cycle()
                            + " of " + p.cycleLength() + " (following the cosine past its horizon) at LR " + lr;
                }
                long pct = p.cycleLength() > 0 ? Math.round(100.0 * (p.cycleStep() + 1) / p.cycleLength()) : 0;
                yield pct >= 100 ? "training ends at step " + last + ", the last step of cycle " + p.cycle()
                        + ", at LR " + lr
                        : "training ends at step " + last + ", " + pct + "% into cycle " + p.cycle() + " at LR " + lr;
            }
        };
    }
}
