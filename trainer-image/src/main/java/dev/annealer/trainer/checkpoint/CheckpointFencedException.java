package dev.annealer.trainer.checkpoint;

import java.io.IOException;

/**
 * Another attempt of the job holds the checkpoint directory's writer lease (a newer pod took over, for example
 * after a node partition): this writer must neither rename a checkpoint into place nor prune or clean up.
 */
public class CheckpointFencedException extends IOException {
  public CheckpointFencedException(String message) {
    super(message);
  }
}
