package dev.annealer.cli;

import dev.annealer.api.FineTuneJobs;
import dev.annealer.schedule.Schedule;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code annealer schedule preview}: see a job's schedule before you run it. */
@Command(name = "preview", mixinStandardHelpOptions = true,
        description = {"Draw a FineTuneJob's learning rate against the step: cycle boundaries marked, warmup shaded.",
            "Without --out: a terminal rendering and a table of cycles (start, length, peak)."})
public final class PreviewCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "JOB.yaml", description = "A FineTuneJob manifest.")
    Path file;

    @Option(names = "--steps", paramLabel = "N", description = "Steps to draw (default: the job's training budget).")
    Long steps;

    @Option(names = "--steps-per-epoch", paramLabel = "K",
            description = "Optimizer steps per epoch of the data, for budgets and durations in epochs.")
    Double stepsPerEpoch;

    @Option(names = "--out", paramLabel = "PLOT.png|PLOT.svg", description = "Write a plot instead of the terminal rendering.")
    Path out;

    @Option(names = "--width", defaultValue = "72", paramLabel = "COLUMNS", description = "Terminal chart width (default 72).")
    int width;

    @Override
    public Integer call() throws IOException {
        if (out != null) {
            String n = out.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (!n.endsWith(".png") && !n.endsWith(".svg")) {
                throw new BadInputException("--out must end with .png or .svg (got " + out + ")");
            }
        }
        if (width < 10 || width > 1000) {
            throw new BadInputException("--width must be between 10 and 1000 (got " + width + ")");
        }
        Schedules.Job job = Schedules.fromJob(file, stepsPerEpoch, spec.commandLine().getErr());
        long n = steps != null ? steps : job.totalSteps();
        if (n <= 0) {
            throw new BadInputException(steps != null ? "--steps must be >= 1 (got " + steps + ")"
                    : file + ": the training budget is in epochs: give --steps N, or --steps-per-epoch K so it can be "
                            + "converted (spec.training.epochs x K)");
        }
        Schedule s = job.schedule();
        String name = job.job().getMetadata() == null ? file.toString() : job.job().getMetadata().getName();
        var sched = job.job().getSpec().getSchedule();
        String type = sched == null || sched.getType() == null ? "Constant"
                : FineTuneJobs.mapper().convertValue(sched.getType(), String.class);
        String title = name + ": " + type + ", " + n + " steps";
        PrintWriter o = spec.commandLine().getOut();
        if (out != null) {
            Plots.write(Plots.chart(s, n, title), out);
            o.println("wrote " + out + " (" + title + ", " + ScheduleTable.boundaries(s, n).size() + " cycle boundaries)");
            o.flush();
            return 0;
        }
        o.println(title + "   fingerprint " + s.fingerprint());
        o.println();
        o.print(TerminalChart.render(s, n, width, 12));
        o.println();
        o.println(String.format("%-10s %10s %10s %14s %14s", "", "start", "length", "peak LR", "end LR"));
        for (ScheduleTable.Row r : ScheduleTable.rows(s, n)) {
            o.println(String.format("%-10s %10d %10s %14.6g %14.6g", r.label(), r.start(),
                    r.length() > 0 ? String.valueOf(r.length()) : "-", r.peak(), r.endLearningRate()));
        }
        o.println();
        o.println(ScheduleTable.ending(s, job.totalSteps() > 0 ? job.totalSteps() : n));
        o.flush();
        return 0;
    }
}
