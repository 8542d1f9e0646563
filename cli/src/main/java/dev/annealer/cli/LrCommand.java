package dev.annealer.cli;

import dev.annealer.schedule.Schedule;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code annealer schedule lr}: the learning rate of steps 0..N-1, one per line. */
@Command(name = "lr", mixinStandardHelpOptions = true,
        description = {"Print the learning rate of steps 0..N-1, one per line, with enough digits to round-trip a double.",
            "Either a peer scheduler (--from LIB:SCHEDULER --args JSON) or a FineTuneJob (-f job.yaml)."})
public final class LrCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @ArgGroup(exclusive = false)
        Peer peer;

        @Option(names = {"-f", "--file"}, paramLabel = "JOB.yaml", description = "A FineTuneJob manifest.")
        Path file;
    }

    static final class Peer {
        @Option(names = "--from", required = true, paramLabel = "LIB:SCHEDULER", description = "Peer scheduler.")
        String from;

        @Option(names = "--args", required = true, paramLabel = "JSON", description = "Its constructor arguments (JSON object).")
        String args;
    }

    @Option(names = "--steps", required = true, paramLabel = "N", description = "Number of steps to print (>= 0).")
    long steps;

    @Option(names = "--steps-per-epoch", paramLabel = "K",
            description = "With --from: the peer was stepped with epoch + i/K. With -f: optimizer steps per epoch of the data.")
    Double stepsPerEpoch;

    @Override
    public Integer call() throws IOException {
        if (steps < 0) {
            throw new BadInputException("--steps must be >= 0 (got " + steps + ")");
        }
        Schedule schedule;
        if (source.file != null) {
            schedule = Schedules.fromJob(source.file, stepsPerEpoch, spec.commandLine().getErr()).schedule();
        } else {
            Integer k = null;
            if (stepsPerEpoch != null) {
                if (stepsPerEpoch != Math.rint(stepsPerEpoch) || stepsPerEpoch < 1) {
                    throw new BadInputException("--steps-per-epoch must be a whole number >= 1 with --from (got "
                            + stepsPerEpoch + "): it is K in scheduler.step(epoch + i/K)");
                }
                k = stepsPerEpoch.intValue();
            }
            schedule = Schedule.of(Schedules.fromPeer(source.peer.from, source.peer.args, k));
        }
        PrintWriter out = spec.commandLine().getOut();
        BufferedWriter w = new BufferedWriter(out, 1 << 16);
        for (long i = 0; i < steps; i++) {
            // Double.toString is the shortest decimal that reads back as the same double
            w.write(Double.toString(schedule.lr(i)));
            w.write('\n');
        }
        w.flush();
        return 0;
    }
}
