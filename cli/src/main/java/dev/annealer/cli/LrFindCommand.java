package dev.annealer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.LrRangeTestSpec;
import dev.annealer.api.v1alpha1.TrainingMode;
import dev.annealer.api.v1alpha1.TrainingSpec;
import dev.annealer.trainer.LrRangeTest;
import dev.annealer.trainer.LrSuggestions;
import dev.annealer.trainer.Preemption;
import dev.annealer.trainer.TrainCommand;
import dev.annealer.trainer.TrainingRun;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code annealer lr-find -f job.yaml}: runs the job's LR range test locally and prints the manifest with
 * {@code spec.optimizer.learningRate} set to the suggestion, ready for {@code kubectl apply -f -}.
 */
@Command(name = "lr-find", mixinStandardHelpOptions = true,
        description = {"Run a FineTuneJob's LR range test locally (its model, data and optimizer, the learning rate",
            "rising exponentially) and print the manifest with spec.optimizer.learningRate set to the suggestion",
            "(fastai's rules on the smoothed loss; valley by default). The range test's log, the suggestions and the",
            "plot's path go to stderr, the manifest alone to stdout:",
            "  annealer lr-find -f job.yaml > tuned.yaml && kubectl apply -f tuned.yaml"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:manifest printed", "2:bad input (manifest, option, data, a sweep too short to suggest)",
            "1:crash"})
public final class LrFindCommand implements Callable<Integer> {

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "JOB.yaml", description = "A FineTuneJob manifest.")
    Path file;

    @Option(names = "--steps", paramLabel = "N",
            description = "Sweep length (default: the manifest's maxSteps when it already is an lrRangeTest job, else 100,"
                    + " fastai's default).")
    Integer steps;

    @Option(names = "--start-lr", paramLabel = "LR",
            description = "First learning rate of the sweep (default: spec.training.lrRangeTest's, else 1e-7).")
    Double startLr;

    @Option(names = "--end-lr", paramLabel = "LR",
            description = "Last learning rate of the sweep (default: spec.training.lrRangeTest's, else 10).")
    Double endLr;

    @Option(names = "--rule", defaultValue = LrSuggestions.VALLEY, paramLabel = "valley|steep|minimum|slide",
            description = "Which suggestion goes into the manifest (default: ${DEFAULT-VALUE}).")
    String rule;

    @Option(names = "--min-lr-ratio", paramLabel = "R|keep",
            description = "Also set spec.schedule.minLearningRate to R x the new learning rate (0 < R < 1), or keep the "
                    + "manifest's current ratio of minLearningRate to learningRate.")
    String minLrRatio;

    @Option(names = "--out-dir", paramLabel = "DIR",
            description = "Where the range test's CSV, JSON, plot and the sweep's own manifest go (default: "
                    + "annealer-lr-find/<metadata.name>). Relative data paths in the manifest resolve against the working "
                    + "directory, as for train.")
    Path outDir;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu", description = "As for train (default: cpu).")
    String device;

    private final PrintStream out;
    private final PrintStream err;

    public LrFindCommand() {
        this(System.out, System.err);
    }

    public LrFindCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        if (!LrSuggestions.RULES.contains(rule)) {
            throw new BadInputException("--rule must be one of " + String.join(", ", LrSuggestions.RULES) + " (got " + rule
                    + ")");
        }
        if (steps != null && steps < 20) {
            throw new BadInputException("--steps must be >= 20 (got " + steps + "): the rules skip the first tenth and the "
                    + "last 5 points of the sweep");
        }
        FineTuneJob job = FineTuneJobs.read(file);
        ObjectMapper yaml = FineTuneJobs.mapper();
        ObjectNode manifest = (ObjectNode) yaml.readTree(Files.readString(file));
        double currentLr = job.getSpec().getOptimizer() == null || job.getSpec().getOptimizer().getLearningRate() == null
                ? Double.NaN : job.getSpec().getOptimizer().getLearningRate();
        Double ratio = ratio(job, currentLr);

        String name = job.getMetadata() == null || job.getMetadata().getName() == null ? "job" : job.getMetadata().getName();
        Path dir = outDir != null ? outDir : Path.of("annealer-lr-find", name);
        Files.createDirectories(dir);
        Path sweepJob = dir.resolve("lr-range-test-job.yaml");
        Files.writeString(sweepJob, FineTuneJobs.toYaml(rangeTestJob(job)));

        TrainCommand.cpuThreadDefaults(System.getenv("ANNEALER_CPU_THREADS"));
        Map<String, String> env = new HashMap<>(System.getenv());
        // a local run: no pod contract (termination log, progress server) even inside a pod's shell
        env.keySet().removeIf(k -> k.startsWith("ANNEALER_TERMINATION") || k.startsWith("ANNEALER_PROGRESS"));
        int code = new TrainingRun(new TrainingRun.Options(sweepJob.toAbsolutePath(), dir.toAbsolutePath(), device, 10,
                null, env, err, err, false), Preemption.install()).run();
        if (code != 0) {
            err.println("annealer: the range test did not finish (exit " + code + "); the manifest is not printed");
            return code;
        }
        JsonNode result = new ObjectMapper().readTree(dir.resolve(LrRangeTest.JSON_FILE).toFile());
        JsonNode picked = result.get(rule);
        if (picked == null || picked.isNull()) {
            throw new BadInputException("--rule " + rule + " has no suggestion for this sweep (it needs 16 points after "
                    + "dropping the first tenth and the last 5): raise --steps or pick another --rule");
        }
        double lr = threeDigits(picked.get("learningRate").asDouble());
        ObjectNode spec = object(manifest, "spec");
        object(spec, "optimizer").put("learningRate", lr);
        if (ratio != null) {
            object(spec, "schedule").put("minLearningRate", threeDigits(lr * ratio));
        } else if (job.getSpec().getSchedule() != null && job.getSpec().getSchedule().getMinLearningRate() != null
                && job.getSpec().getSchedule().getMinLearningRate() >= lr) {
            err.println(String.format(Locale.ROOT, "annealer: warning: spec.schedule.minLearningRate %s is not below the "
                    + "new learningRate %s: pass --min-lr-ratio R (e.g. 0.01) or edit it",
                    job.getSpec().getSchedule().getMinLearningRate(), lr));
        }
        JsonNode training = spec.get("training");
        if (training instanceof ObjectNode t && t.has("mode")) {
            // the next step is training with the suggestion, not another sweep
            t.remove("mode");
            t.remove("lrRangeTest");
            err.println("annealer: removed spec.training.mode/lrRangeTest: the printed manifest trains; check its budget "
                    + "(spec.training.maxSteps/epochs)");
        }
        manifest.remove("status");
        err.println(String.format(Locale.ROOT, "lr-find: %s learningRate=%s (was %s); plot: %s", rule, lr,
                Double.isNaN(currentLr) ? "unset" : currentLr, dir.resolve(LrRangeTest.PLOT)));
        for (String r : LrSuggestions.RULES) {
            JsonNode x = result.get(r);
            err.println(String.format(Locale.ROOT, "  %-8s %s", r, x == null || x.isNull() ? "none"
                    : String.format(Locale.ROOT, "%.3g", x.get("learningRate").asDouble())));
        }
        out.print(yaml.writeValueAsString(manifest));
        out.flush();
        return 0;
    }

    /** The job run for the sweep: the manifest's model, data and optimizer; mode lrRangeTest; no schedule. */
    FineTuneJob rangeTestJob(FineTuneJob job) {
        FineTuneJob copy = FineTuneJobs.mapper().convertValue(job, FineTuneJob.class);
        copy.setStatus(null);
        TrainingSpec t = copy.getSpec().getTraining() == null ? new TrainingSpec() : copy.getSpec().getTraining();
        boolean wasSweep = t.getMode() == TrainingMode.LR_RANGE_TEST;
        LrRangeTestSpec r = wasSweep && t.getLrRangeTest() != null ? t.getLrRangeTest() : new LrRangeTestSpec();
        if (startLr != null) {
            r.setStartLearningRate(startLr);
        }
        if (endLr != null) {
            r.setEndLearningRate(endLr);
        }
        if (r.getStartLearningRate() == null) {
            r.setStartLearningRate(1e-7);
        }
        if (r.getEndLearningRate() == null) {
            r.setEndLearningRate(10.0);
        }
        if (!(r.getStartLearningRate() > 0 && r.getEndLearningRate() > r.getStartLearningRate())) {
            throw new BadInputException("--start-lr/--end-lr must satisfy 0 < start < end (got " + r.getStartLearningRate()
                    + " .. " + r.getEndLearningRate() + "): the sweep rises geometrically");
        }
        long n = steps != null ? steps : wasSweep && t.getMaxSteps() != null ? t.getMaxSteps() : 100;
        t.setMode(TrainingMode.LR_RANGE_TEST);
        t.setLrRangeTest(r);
        t.setMaxSteps(n);
        t.setEpochs(null);
        t.setEvalEverySteps(null);
        copy.getSpec().setTraining(t);
        copy.getSpec().setSchedule(null); // the sweep is the schedule; the job's own need not fit n steps
        return copy;
    }

    /** minLearningRate / learningRate to apply, from --min-lr-ratio; null = leave minLearningRate alone. */
    private Double ratio(FineTuneJob job, double currentLr) {
        if (minLrRatio == null) {
            return null;
        }
        var sched = job.getSpec().getSchedule();
        if (sched == null || sched.getType() == null || sched.getType().name().equals("CONSTANT")) {
            throw new BadInputException("--min-lr-ratio: " + file + " has no schedule with a minLearningRate (spec.schedule"
                    + (sched == null || sched.getType() == null ? " is not set" : ".type is Constant")
                    + "): drop the option or give the job a Cosine / CosineWarmRestarts schedule");
        }
        if (minLrRatio.equals("keep")) {
            if (sched.getMinLearningRate() == null || Double.isNaN(currentLr)) {
                throw new BadInputException("--min-lr-ratio keep: " + file + " sets no spec.schedule.minLearningRate and "
                        + "spec.optimizer.learningRate to take the ratio of: give a number, e.g. --min-lr-ratio 0.01");
            }
            return sched.getMinLearningRate() / currentLr;
        }
        double r;
        try {
            r = Double.parseDouble(minLrRatio);
        } catch (NumberFormatException e) {
            throw new BadInputException("--min-lr-ratio must be a number between 0 and 1 or 'keep' (got " + minLrRatio + ")");
        }
        if (!(r > 0 && r < 1)) {
            throw new BadInputException("--min-lr-ratio must be > 0 and < 1 (got " + minLrRatio + "): minLearningRate is "
                    + "the floor of the cosine, below the base learning rate");
        }
        return r;
    }

    private static ObjectNode object(ObjectNode parent, String field) {
        return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
    }

    /** Three significant digits: a rate a person would write (2.41e-3), well inside the range test's resolution. */
    static double threeDigits(double x) {
        return new BigDecimal(x).round(new MathContext(3)).doubleValue();
    }
}
