package dev.annealer.trainer.checkpoint;

import java.io.IOException;

/**
 * A checkpoint whose bytes are wrong (a SHA-256 mismatch, a malformed or truncated file, a missing manifest or file):
 * reading it again gives the same answer, so it is skipped. Any other {@link IOException} while reading is treated
 * as transient and retried, never as corruption.
 */
public class CheckpointCorruptException extends IOException {
  public CheckpointCorruptException(String message) {
    super(message);
  }

  public CheckpointCorruptException(String message, Throwable cause) {
    super(message, cause);
  }
}
