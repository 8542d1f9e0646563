package dev.annealer.trainer.checkpoint;

import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Proves at start, before any data is read or step trained, that the checkpoint directory takes what a checkpoint
 * write does: create the directory, write a file, fsync it, rename it atomically, delete it. A read-only mount or a
 * full or missing volume then fails in a second with {@code CheckpointDirNotWritable} (exit 2), not after the first
 * {@code everySeconds} of training.
 */
public final class CheckpointDirProbe {

  private CheckpointDirProbe() {}

  /** Throws {@link TrainerFailure} with reason {@link Reason#CheckpointDirNotWritable} naming the path and the step. */
  public static void probe(Path dir) {
    String step = "create the directory";
    Path file = dir.resolve(".annealer-probe-" + ProcessHandle.current().pid());
    Path renamed = dir.resolve(file.getFileName() + ".renamed");
    try {
      Files.createDirectories(dir);
      step = "write a file in it";
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap("annealer checkpoint-dir probe\n".getBytes(StandardCharsets.UTF_8)));
        step = "fsync a file in it";
        ch.force(true);
      }
      step = "rename a file in it atomically";
      Files.move(file, renamed, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      step = "delete a file in it";
      Files.delete(renamed);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      cleanUp(file, renamed);
      throw new TrainerFailure(Reason.CheckpointDirNotWritable, "checkpoint directory " + dir + " is not usable: cannot "
          + step + " (" + describe(e) + "): checkpoints could not be written, so nothing was trained; mount it "
          + "read-write with free space (the job's checkpoint PVC), or give --checkpoint-dir a writable directory");
    }
  }

  private static void cleanUp(Path... files) {
    for (Path f : files) {
      try {
        Files.deleteIfExists(f);
      } catch (IOException | RuntimeException ignored) {
        // best effort: the directory is already known to be unusable
      }
    }
  }

  private static String describe(Exception e) {
    String kind = e.getClass().getSimpleName().replace("Exception", "");
    String msg = e.getMessage();
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      msg = f.getReason() + (f.getFile() == null ? "" : ": " + f.getFile());
    }
    return msg == null ? kind : kind + ": " + msg;
  }
}
