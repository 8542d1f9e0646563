package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.LrRangeTestStatus;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the suggestions out of an lrRangeTest trainer's success line (trainer contract):
 * {@code succeeded: step=N checkpoint=none ... suggestedLearningRate=X valley=X steep=X minimum=X slide=X|none}.
 */
final class LrRangeTestResult {
    /** The plot's file name in the checkpoint directory (the trainer's LrRangeTest.PLOT). */
    static final String PLOT = "lr-range-test.png";

    private LrRangeTestResult() {
    }

    /** The status block, or empty when the message carries no suggestion (a trainer older than the rules). */
    static Optional<LrRangeTestStatus> parse(String terminationMessage, String plot) {
        Double suggested = number(terminationMessage, "suggestedLearningRate");
        if (suggested == null) {
            return Optional.empty();
        }
        LrRangeTestStatus r = new LrRangeTestStatus();
        r.setSuggested(suggested);
        r.setSummary(String.format(Locale.ROOT, "%.2e (valley)", suggested));
        r.setValley(number(terminationMessage, "valley"));
        r.setSteep(number(terminationMessage, "steep"));
        r.setMinimum(number(terminationMessage, "minimum"));
        r.setSlide(number(terminationMessage, "slide"));
        r.setPlot(plot);
        return Optional.of(r);
    }

    static String eventMessage(LrRangeTestStatus r) {
        return String.format(Locale.ROOT, "LR range test: suggested learningRate=%.3g (valley); steep %s, minimum %s, "
                + "slide %s; plot at %s", r.getSuggested(), short3(r.getSteep()), short3(r.getMinimum()),
                short3(r.getSlide()), r.getPlot());
    }

    private static String short3(Double x) {
        return x == null ? "none" : String.format(Locale.ROOT, "%.3g", x);
    }

    private static Double number(String message, String key) {
        Matcher m = Pattern.compile("(?:^|\\s)" + key + "=(\\S+)").matcher(message);
        if (!m.find()) {
            return null;
        }
        try {
            double v = Double.parseDouble(m.group(1));
            return Double.isFinite(v) ? v : null;
        } catch (NumberFormatException e) {
            return null; // "none": the rule had no answer
        }
    }
}
