package dev.annealer.cli;

import dev.annealer.api.ManifestException;
import dev.annealer.schedule.ScheduleValidationException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import dev.annealer.trainer.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code annealer} command.
 *
 * <p>Exit codes: 0 success; 2 bad input (unknown library, scheduler or argument, bad value, invalid manifest, missing
 * file), with a message on stderr that says what is wrong and what is accepted, never a stack trace; 1 an internal
 * error (the stack trace only with {@code ANNEALER_DEBUG=1}).
 */
@Command(name = "annealer", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Fine-tuning jobs whose cosine / SGDR learning-rate schedule is part of the contract.",
        subcommands = {ValidateCommand.class, ScheduleCommand.class, TrainCommand.class, LrFindCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit code for bad input. */
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    static {
        // the fabric8 model pulls in slf4j-api without a binding; its "no providers" notice is noise for a CLI
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line with the given streams and returns the exit code (tests call this). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        // the trainer's command writes to the streams it is given (a PrintStream, not picocli's writer)
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == TrainCommand.class) {
                    return cls.cast(new TrainCommand(out, err));
                }
                if (cls == LrFindCommand.class) {
                    return cls.cast(new LrFindCommand(out, err));
                }
                return fallback.create(cls);
            }
        };
        CommandLine cl = new CommandLine(new Main(), factory);
        PrintWriter o = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        cl.setOut(o);
        cl.setErr(e);
        cl.setExitCodeExceptionMapper(Main::exitCodeOf);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("annealer: " + messageOf(ex));
            if (exitCodeOf(ex) != BAD_INPUT && "1".equals(System.getenv("ANNEALER_DEBUG"))) {
                ex.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return exitCodeOf(ex);
        });
        int code = cl.execute(args);
        o.flush();
        e.flush();
        return code;
    }

    /** Bad input is 2, anything else 1. */
    static int exitCodeOf(Throwable ex) {
        return isBadInput(ex) ? BAD_INPUT : 1;
    }

    static boolean isBadInput(Throwable ex) {
        return ex instanceof ManifestException || ex instanceof ScheduleValidationException
                || ex instanceof BadInputException || ex instanceof CommandLine.ParameterException;
    }

    static String messageOf(Throwable ex) {
        if (isBadInput(ex)) {
            return ex.getMessage();
        }
        return "internal error: " + ex.getClass().getSimpleName() + ": " + ex.getMessage()
                + " (run with ANNEALER_DEBUG=1 for the stack trace, and please report it)";
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"annealer " + (v == null ? "(development build)" : v)};
        }
    }
}
