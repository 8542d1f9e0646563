package dev.annealer.trainer.checkpoint;

import java.io.IOException;

/** A checkpoint could not be read for a reason other than corruption (retried, then reported as transient). */
public class CheckpointReadException extends IOException {
  public CheckpointReadException(String message, Throwable cause) {
    super(message, cause);
  }
}
