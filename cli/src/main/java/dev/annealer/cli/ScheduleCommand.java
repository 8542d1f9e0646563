package dev.annealer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code annealer schedule ...}: work with learning-rate schedules without a cluster. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = "Import, evaluate and preview learning-rate schedules.",
        subcommands = {ImportCommand.class, LrCommand.class, PreviewCommand.class})
public final class ScheduleCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "annealer schedule needs a subcommand: import, lr or preview (see annealer schedule --help)");
    }
}
