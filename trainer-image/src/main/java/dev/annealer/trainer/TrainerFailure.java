package dev.annealer.trainer;

/**
 * A failure the trainer reports through the pod contract: a CamelCase reason for the termination message, an exit
 * code, and a message that names the file/field/value and the fix. Never shown as a stack trace.
 */
public final class TrainerFailure extends RuntimeException {
  /** Reasons written as {@code failed: reason=<Reason> ...}; the operator's contract. */
  public enum Reason {
    InvalidSpec(2), BadRecord(2), MissingFile(2), NonFiniteLoss(2), NonFiniteGradient(2), ScheduleChanged(2), DataOrderChanged(2),
    CorruptCheckpoint(2),
    CheckpointDirNotWritable(2), MissingLocalFile(2), NoGPU(1), Crash(1),
    /** The checkpoint volume is too small for the next checkpoint (the message gives the bytes needed); retried. */
    CheckpointVolumeFull(1),
    /** A checkpoint could not be read for a reason other than corruption; retried. */
    CheckpointReadError(1),
    /** A newer attempt of the job holds the checkpoint directory: this old pod stops without writing. */
    Superseded(1);

    public final int exitCode;

    Reason(int exitCode) {
      this.exitCode = exitCode;
    }
  }

  private final Reason reason;

  public TrainerFailure(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public TrainerFailure(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  public int exitCode() {
    return reason.exitCode;
  }

  /** The one-line termination message. */
  public String terminationMessage() {
    return "failed: reason=" + reason + " " + getMessage();
  }

  public static TrainerFailure invalid(String field, Object value, String rule) {
    return new TrainerFailure(Reason.InvalidSpec, field + " " + rule + " (got " + value + ")");
  }
}
