package dev.annealer.api;

import java.util.List;

/** A small line-diff hint for "generated file out of date" failures. */
final class Diffs {

    private Diffs() {
    }

    /** Describes the first line where {@code committed} and {@code generated} differ, with two lines of context. */
    static String firstDifference(List<String> committed, List<String> generated) {
        int n = Math.min(committed.size(), generated.size());
        int i = 0;
        while (i < n && committed.get(i).equals(generated.get(i))) {
            i++;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("  at line ").append(i + 1).append(" (committed ").append(committed.size())
                .append(" lines, generated ").append(generated.size()).append(")\n");
        for (int k = Math.max(0, i - 2); k < i; k++) {
            sb.append("    ").append(committed.get(k)).append('\n');
        }
        sb.append("  - ").append(i < committed.size() ? committed.get(i) : "<end of file>").append('\n');
        sb.append("  + ").append(i < generated.size() ? generated.get(i) : "<end of file>");
        return sb.toString();
    }
}
