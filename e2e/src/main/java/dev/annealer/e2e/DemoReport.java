package dev.annealer.e2e;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The end of {@code make demo}: compares the cluster run with an uninterrupted local run of the same spec, writes
 * the LR/loss plot, prints a short report and, as its last line,
 * {@code demo: job=<name> phase=<phase> preemptions=<n> failures=<n> lrContinuous=<bool> paramsMatchUninterrupted=<bool>}.
 * Exit code 0 when the job succeeded and both comparisons hold, else 1.
 */
@Command(name = "demo-report", mixinStandardHelpOptions = true,
        description = "Compare a FineTuneJob's attempts with an uninterrupted run; write the LR/loss plot.")
public final class DemoReport implements Callable<Integer> {

    @Option(names = "--job", required = true, description = "FineTuneJob name")
    String job;
    @Option(names = "--phase", required = true, description = "status.phase")
    String phase;
    @Option(names = "--preemptions", required = true, description = "status.preemptions")
    long preemptions;
    @Option(names = "--failures", required = true, description = "status.failures")
    long failures;
    @Option(names = "--final-message", defaultValue = "", description = "status.lastTerminationMessage")
    String finalMessage;
    @Option(names = "--job-yaml", required = true, description = "the job.yaml the trainer pods read")
    Path jobYaml;
    @Option(names = "--attempt-log", description = "trainer output of each attempt, in order (repeatable)")
    List<Path> attemptLogs = new ArrayList<>();
    @Option(names = "--uninterrupted-log", required = true, description = "output of the uninterrupted local run")
    Path uninterruptedLog;
    @Option(names = "--png", required = true, description = "where the LR/loss plot goes")
    Path png;

    @Override
    public Integer call() throws Exception {
        List<TrainerLog> attempts = new ArrayList<>();
        for (Path p : attemptLogs) {
            attempts.add(TrainerLog.parse(Files.readString(p)));
        }
        TrainerLog reference = TrainerLog.parse(Files.readString(uninterruptedLog));
        String finalParams = TrainerLog.field(finalMessage, "paramsSha256").orElse(null);
        RunComparison.Result r = RunComparison.compare(attempts, finalParams, reference);
        JobSchedule schedule = JobSchedule.of(Files.readString(jobYaml));
        LrLossPlot.write(png, job, schedule, attempts, reference);

        for (int i = 0; i < attempts.size(); i++) {
            TrainerLog a = attempts.get(i);
            System.out.printf(Locale.ROOT, "attempt %d: %s%s, logged steps %s%n", i + 1,
                    a.resumedAt().isPresent() ? "resumed at step " + a.resumedAt().getAsLong() : "started at step 0",
                    a.preemptedAt().isPresent() ? ", checkpointed after preemption at step " + a.preemptedAt().getAsLong() : "",
                    a.steps().isEmpty() ? "none" : a.steps().get(0).step() + ".." + a.steps().get(a.steps().size() - 1).step());
        }
        System.out.printf(Locale.ROOT, "learning rate at %d logged steps vs the uninterrupted run: %s%n",
                r.stepsCompared(), r.lrContinuous() ? "identical" : "DIFFERENT");
        System.out.printf(Locale.ROOT, "final paramsSha256 %s, uninterrupted %s%n", finalParams,
                reference.paramsSha256().orElse("none"));
        r.differences().forEach(d -> System.out.println("  difference: " + d));
        System.out.println("plot: " + png);
        System.out.printf(Locale.ROOT, "demo: job=%s phase=%s preemptions=%d failures=%d lrContinuous=%s "
                        + "paramsMatchUninterrupted=%s%n", job, phase, preemptions, failures, r.lrContinuous(),
                r.paramsMatch());
        boolean ok = "Succeeded".equals(phase) && r.lrContinuous() && r.paramsMatch();
        return ok ? 0 : 1;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new DemoReport()).execute(args));
    }
}
