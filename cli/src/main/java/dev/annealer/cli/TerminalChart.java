package dev.annealer.cli;

import dev.annealer.schedule.Schedule;
import java.util.List;

/**
 * A compact text rendering of LR against step: each column is the largest LR of its steps, drawn with eighth-block
 * characters; warmup columns use a shaded block, cycle boundaries are marked under the axis.
 */
final class TerminalChart {

    private static final char[] EIGHTHS = {' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'};

    private TerminalChart() {
    }

    static String render(Schedule s, long steps, int width, int height) {
        int cols = (int) Math.min(width, Math.max(1, steps));
        double[] top = new double[cols];
        boolean[] warm = new boolean[cols];
        double max = 0;
        for (int c = 0; c < cols; c++) {
            long from = c * steps / cols;
            long to = Math.max(from + 1, (c + 1) * steps / cols);
            // sample at most 64 steps per column, plus both ends, to keep this O(width)
            long stride = Math.max(1, (to - from) / 64);
            double m = 0;
            for (long i = from; i < to; i += stride) {
                m = Math.max(m, s.lr(i));
            }
            m = Math.max(m, s.lr(to - 1));
            top[c] = m;
            warm[c] = from < s.warmupSteps();
            max = Math.max(max, m);
        }
        StringBuilder sb = new StringBuilder();
        String hi = String.format("%.3g", max);
        String lo = "0";
        int pad = Math.max(hi.length(), lo.length());
        for (int r = height - 1; r >= 0; r--) {
            String label = r == height - 1 ? hi : r == 0 ? lo : "";
            sb.append(" ".repeat(pad - label.length())).append(label).append(" ┤");
            for (int c = 0; c < cols; c++) {
                double eighths = max > 0 ? top[c] / max * height * 8 : 0;
                int cell = (int) Math.round(Math.max(0, Math.min(8, eighths - r * 8)));
                char ch = EIGHTHS[cell];
                if (warm[c] && ch == '█') {
                    ch = '▒';
                }
                sb.append(ch);
            }
            sb.append('\n');
        }
        sb.append(" ".repeat(pad)).append(" └").append("─".repeat(cols)).append('\n');
        char[] marks = " ".repeat(cols).toCharArray();
        List<Long> bounds = ScheduleTable.boundaries(s, steps);
        for (long b : bounds) {
            int c = (int) Math.min(cols - 1, b * cols / steps);
            marks[c] = '^';
        }
        if (s.warmupSteps() > 0) {
            int c = (int) Math.min(cols - 1, s.warmupSteps() * cols / steps);
            marks[c] = '^';
        }
        sb.append(" ".repeat(pad + 2)).append(marks).append('\n');
        String left = "0";
        String right = String.valueOf(steps);
        int gap = Math.max(1, cols - left.length() - right.length());
        sb.append(" ".repeat(pad + 2)).append(left).append(" ".repeat(gap)).append(right).append("  step\n");
        sb.append(" ".repeat(pad + 2)).append("▒ warmup   ^ cycle boundary\n");
        return sb.toString();
    }
}
