package dev.annealer.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a trainer's standard output says, read from its structured lines (docs/reference/trainer-contract.md):
 * {@code event=step step=S ... lr=L loss=X ...}, {@code event=resume checkpoint=C step=S ...},
 * {@code event=preempted ... step=S ...} and the last line {@code done step=S paramsSha256=HEX}.
 *
 * <p>In a step line, {@code step=S} counts the steps done and {@code lr} is the learning rate step {@code S-1} used.
 * The learning rate is kept as the exact text the trainer printed (a Java {@code double} in shortest round-trip
 * form), so comparing texts compares doubles bit for bit.
 */
public record TrainerLog(List<StepLine> steps, OptionalLong resumedAt, OptionalLong preemptedAt,
                         Optional<String> paramsSha256) {

    /** One {@code event=step} line. */
    public record StepLine(long step, String learningRate, double loss) {
        public double lr() {
            return Double.parseDouble(learningRate);
        }
    }

    private static final Pattern STEP = Pattern.compile("event=step step=(\\d+) .*?\\blr=(\\S+) loss=(\\S+)");
    private static final Pattern RESUME = Pattern.compile("event=resume checkpoint=\\S+ step=(\\d+)");
    private static final Pattern PREEMPTED = Pattern.compile("event=preempted .*?\\bstep=(\\d+)");
    private static final Pattern DONE = Pattern.compile("(?m)^done step=\\d+ paramsSha256=([0-9a-f]{64})\\s*$");

    /** Parses a whole trainer output. */
    public static TrainerLog parse(String output) {
        List<StepLine> steps = new ArrayList<>();
        OptionalLong resumed = OptionalLong.empty();
        OptionalLong preempted = OptionalLong.empty();
        for (String line : output.split("\n")) {
            Matcher m = STEP.matcher(line);
            if (m.find()) {
                steps.add(new StepLine(Long.parseLong(m.group(1)), m.group(2), parseDouble(m.group(3))));
                continue;
            }
            Matcher r = RESUME.matcher(line);
            if (r.find() && resumed.isEmpty()) {
                resumed = OptionalLong.of(Long.parseLong(r.group(1)));
                continue;
            }
            Matcher p = PREEMPTED.matcher(line);
            if (p.find()) {
                preempted = OptionalLong.of(Long.parseLong(p.group(1)));
            }
        }
        Matcher d = DONE.matcher(output);
        Optional<String> digest = Optional.empty();
        while (d.find()) {
            digest = Optional.of(d.group(1));
        }
        return new TrainerLog(List.copyOf(steps), resumed, preempted, digest);
    }

    /** The value of {@code name=VALUE} in a termination message or a log line, if present. */
    public static Optional<String> field(String text, String name) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(name) + "=(\\S+)").matcher(text);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static double parseDouble(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
