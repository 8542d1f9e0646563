package dev.annealer.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Compares a run that was interrupted (its attempts' logs, in order) with an uninterrupted run of the same job.
 *
 * <ul>
 *   <li><b>lrContinuous</b>: every step the attempts logged has exactly the learning rate the uninterrupted run
 *       logged at that step (same text = same double), a step logged by two attempts has one learning rate, and the
 *       attempts together logged every step the uninterrupted run logged (no gap around a preemption).</li>
 *   <li><b>paramsMatch</b>: the final {@code paramsSha256} (from the job's last termination message) equals the
 *       uninterrupted run's.</li>
 * </ul>
 * Pure: no I/O.
 */
public final class RunComparison {

    /** The verdict, with the first few differences for a human. */
    public record Result(boolean lrContinuous, boolean paramsMatch, int stepsCompared, List<String> differences) {
    }

    private RunComparison() {
    }

    /**
     * @param attempts        the interrupted run's attempts, in order
     * @param finalParams     paramsSha256 the interrupted run ended with (null when it did not succeed)
     * @param uninterrupted   the uninterrupted run
     */
    public static Result compare(List<TrainerLog> attempts, String finalParams, TrainerLog uninterrupted) {
        Map<Long, String> reference = new TreeMap<>();
        uninterrupted.steps().forEach(s -> reference.put(s.step(), s.learningRate()));
        Map<Long, String> seen = new TreeMap<>();
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < attempts.size(); i++) {
            for (TrainerLog.StepLine s : attempts.get(i).steps()) {
                String ref = reference.get(s.step());
                if (ref == null) {
                    diffs.add("attempt " + (i + 1) + " logged step " + s.step() + ", which the uninterrupted run did not");
                } else if (!ref.equals(s.learningRate())) {
                    diffs.add("step " + s.step() + ": lr " + s.learningRate() + " in attempt " + (i + 1)
                            + ", uninterrupted " + ref);
                }
                String before = seen.put(s.step(), s.learningRate());
                if (before != null && !before.equals(s.learningRate())) {
                    diffs.add("step " + s.step() + " logged twice with different learning rates: " + before + ", "
                            + s.learningRate());
                }
            }
        }
        for (Long step : reference.keySet()) {
            if (!seen.containsKey(step)) {
                diffs.add("step " + step + " logged by the uninterrupted run but by no attempt");
            }
        }
        boolean lr = diffs.isEmpty() && !reference.isEmpty();
        String refParams = uninterrupted.paramsSha256().orElse(null);
        boolean params = finalParams != null && Objects.equals(finalParams, refParams);
        if (!params) {
            diffs.add("paramsSha256 " + finalParams + ", uninterrupted " + refParams);
        }
        return new Result(lr, params, seen.size(), List.copyOf(diffs.subList(0, Math.min(diffs.size(), 20))));
    }
}
