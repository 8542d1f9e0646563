package dev.annealer.cli;

import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.InvalidManifestException;
import dev.annealer.api.JobSchedules;
import dev.annealer.api.ManifestException;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.validation.KubeYaml;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleValidationException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code annealer validate}: the API server's verdict on a manifest before {@code kubectl apply}, from the same
 * validator the trainer and the operator use (the CRD's schema and CEL rules), plus the schedule engine's checks.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Check FineTuneJob manifests as the cluster will, without a cluster.",
            "The CRD's schema and CEL rules give the API server's verdict (the trainer and the operator use the same "
                + "validator), then the schedule engine checks the schedule.",
            "Prints every problem with its file, line, field, value and fix; exit 0 when all files are valid, 2 when "
                + "one is not."})
public final class ValidateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "JOB.yaml",
            description = "A FineTuneJob manifest (repeat -f for several).")
    List<Path> files;

    @Option(names = "--steps-per-epoch", paramLabel = "K",
            description = "Optimizer steps per epoch of the data, to check a schedule given in epochs now (else the "
                    + "trainer checks it once it has read the data).")
    Double stepsPerEpoch;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean allValid = true;
        if (stepsPerEpoch != null && !(stepsPerEpoch > 0)) {
            throw new BadInputException("--steps-per-epoch must be > 0 (got " + stepsPerEpoch + ")");
        }
        for (Path f : files) {
            warnings(f).forEach(w -> err.println("annealer: warning: " + w));
            List<String> problems = new java.util.ArrayList<>();
            boolean epochsUnchecked = check(f, stepsPerEpoch, problems);
            if (problems.isEmpty()) {
                out.println(f + ": valid" + (epochsUnchecked ? " (the schedule is in epochs: the trainer checks it "
                        + "against the data's steps per epoch; give --steps-per-epoch K to check it now)" : ""));
            } else {
                allValid = false;
                err.println("annealer: " + f + ": invalid (" + problems.size() + " problem"
                        + (problems.size() == 1 ? "" : "s") + "):");
                problems.forEach(p -> err.println("  " + p));
            }
        }
        out.flush();
        err.flush();
        return allValid ? 0 : Main.BAD_INPUT;
    }

    /**
     * Adds every problem of one file to {@code problems}, as "FILE:LINE: message" (no line when the field is
     * missing); returns true when the schedule's epoch durations could not be checked (no steps per epoch).
     */
    static boolean check(Path f, Double stepsPerEpoch, List<String> problems) {
        FineTuneJob job;
        try {
            job = FineTuneJobs.read(f);
        } catch (InvalidManifestException e) {
            e.violations().forEach(v -> problems.add(f + (v.line() == null ? "" : ":" + v.line()) + ": " + v.message()));
            return false;
        } catch (ManifestException e) {
            problems.add(e.getMessage());
            return false;
        }
        if (stepsPerEpoch == null && inEpochs(JobSchedules.manifestOf(job.getSpec()))) {
            return true;
        }
        try {
            // as the operator's admission check: the schedule engine must accept spec.optimizer + spec.schedule
            Schedule.of(JobSchedules.config(job.getSpec(), stepsPerEpoch));
        } catch (ScheduleValidationException e) {
            problems.add(f + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            problems.add(f + ": spec.schedule is invalid: " + e.getMessage());
        }
        return false;
    }

    /** What kubectl accepts but a reader may not expect (a duplicate key); empty when the file does not parse. */
    private static List<String> warnings(Path f) {
        try {
            return KubeYaml.parseAll(FineTuneJobs.readText(f), f.toString()).stream()
                    .flatMap(d -> d.warnings().stream()).toList();
        } catch (ManifestException e) {
            return List.of(); // reported as a problem by check()
        }
    }

    /** Whether a duration of the schedule is given in epochs (anywhere under it). */
    private static boolean inEpochs(Object node) {
        if (node instanceof java.util.Map<?, ?> m) {
            return m.containsKey("epochs") && m.get("epochs") != null || m.values().stream().anyMatch(ValidateCommand::inEpochs);
        }
        if (node instanceof List<?> l) {
            return l.stream().anyMatch(ValidateCommand::inEpochs);
        }
        return false;
    }
}
