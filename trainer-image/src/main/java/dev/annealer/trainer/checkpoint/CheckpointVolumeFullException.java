package dev.annealer.trainer.checkpoint;

import java.io.IOException;

/** The checkpoint volume has no room for the next checkpoint; nothing partial was left behind. */
public class CheckpointVolumeFullException extends IOException {
  private final long bytesNeeded;
  private final long bytesFree;

  public CheckpointVolumeFullException(String message, long bytesNeeded, long bytesFree, Throwable cause) {
    super(message, cause);
    this.bytesNeeded = bytesNeeded;
    this.bytesFree = bytesFree;
  }

  /** Bytes the checkpoint takes (its tensor files and manifest). */
  public long bytesNeeded() {
    return bytesNeeded;
  }

  /** Usable bytes on the volume when the write gave up. */
  public long bytesFree() {
    return bytesFree;
  }
}
