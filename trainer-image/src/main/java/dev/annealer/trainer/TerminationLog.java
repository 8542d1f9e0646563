package dev.annealer.trainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes the one-line termination message Kubernetes copies into
 * {@code status.containerStatuses[].state.terminated.message} (at most 4 KiB). The path is
 * {@code $ANNEALER_TERMINATION_LOG}, default {@code /dev/termination-log}; the default is only written when it exists
 * (it does in a pod), so local runs never create files under /dev.
 */
public final class TerminationLog {
  static final int MAX_BYTES = 4096;
  private final Path path;
  private final boolean mustExist;

  public TerminationLog(Map<String, String> env) {
    String p = env.get("ANNEALER_TERMINATION_LOG");
    this.path = Path.of(p != null && !p.isBlank() ? p : "/dev/termination-log");
    this.mustExist = p == null || p.isBlank();
  }

  public Path path() {
    return path;
  }

  /** Writes {@code message} (newlines flattened, cut to 4 KiB); never throws. */
  public void write(String message) {
    if (mustExist && !Files.exists(path)) {
      return;
    }
    String line = message.replace('\n', ' ').replace('\r', ' ');
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_BYTES) {
      line = new String(bytes, 0, MAX_BYTES - 3, StandardCharsets.UTF_8);
      line = line.substring(0, Math.max(0, line.length() - 1)) + "...";
      bytes = line.getBytes(StandardCharsets.UTF_8);
    }
    try {
      Files.write(path, bytes);
    } catch (IOException e) {
      System.err.println("warning: cannot write termination message to " + path + ": " + e.getMessage());
    }
  }
}
