package dev.annealer.devcluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Exit code and output of a finished command (kubectl, scripts). */
public record CommandResult(List<String> command, int exitCode, String stdout, String stderr) {

    /** Runs {@code command}, waiting at most {@code timeout}; a timed-out command is killed and reported as 124. */
    public static CommandResult run(List<String> command, Duration timeout) {
        try {
            Process p = new ProcessBuilder(command).start();
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                return new CommandResult(command, 124, out.join(), err.join() + "\n(timed out after " + timeout + ")");
            }
            return new CommandResult(command, p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    public boolean ok() {
        return exitCode == 0;
    }

    /** For assertion messages: the command, its exit code and both streams. */
    public String describe() {
        return String.join(" ", command) + " -> exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
