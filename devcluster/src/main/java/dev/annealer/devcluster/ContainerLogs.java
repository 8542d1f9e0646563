package dev.annealer.devcluster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * Where a container's output is, for the kubelet's log endpoint ({@link KubeletServer}).
 *
 * <p>A container's runs append to one file ({@code <pod>/containers/<name>/output.log}); each run is a byte range of
 * it. The current run's range is open-ended while the container runs ({@code growing}).
 */
public final class ContainerLogs {

    private ContainerLogs() {
    }

    /**
     * One run's output: bytes {@code [start, end)} of {@code file}, {@code end} = -1 for "up to the end of the file";
     * {@code growing} is true while the run can still write.
     */
    public record Range(Path file, long start, long end, BooleanSupplier growing) {
    }

    /** The answer to "the log of ns/pod/container": a range, or why there is none (HTTP status and message). */
    public record Lookup(Range range, int status, String message) {
        public static Lookup found(Range range) {
            return new Lookup(range, 200, null);
        }

        public static Lookup notFound(String message) {
            return new Lookup(null, 404, message);
        }

        public static Lookup badRequest(String message) {
            return new Lookup(null, 400, message);
        }
    }

    /** Looks up a container's log (the node agent's pods). */
    @FunctionalInterface
    public interface Source {
        Lookup find(String namespace, String pod, String container, boolean previous);
    }

    /**
     * The offset in {@code [from, to)} where the last {@code lines} lines start (a final line without a newline counts;
     * the newline that ends the range does not start another line). {@code from} when the range has fewer lines.
     */
    static long tailStart(FileChannel ch, long from, long to, int lines) throws IOException {
        if (lines <= 0) {
            return to;
        }
        ByteBuffer buf = ByteBuffer.allocate(8192);
        int seen = 0;
        long pos = to;
        while (pos > from) {
            int n = (int) Math.min(buf.capacity(), pos - from);
            buf.clear().limit(n);
            long at = pos - n;
            while (buf.hasRemaining()) {
                if (ch.read(buf, at + buf.position()) < 0) {
                    return from;
                }
            }
            for (int i = n - 1; i >= 0; i--) {
                if (buf.get(i) == '\n') {
                    if (at + i == to - 1) {
                        continue; // why: the newline that ends the range only ends the last line
                    }
                    if (++seen == lines) {
                        return at + i + 1;
                    }
                }
            }
            pos = at;
        }
        return from;
    }
}
