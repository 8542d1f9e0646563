package dev.annealer.trainer.checkpoint;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Writes checkpoints on its own thread, at most one in flight: the training loop hands over a snapshot taken at a
 * step boundary ({@link #submit}) and goes on; it collects the outcome at a later step boundary ({@link #poll}) or
 * waits for it before a checkpoint of its own ({@link #await}, e.g. on SIGTERM). The store's own atomicity (files
 * fsynced, manifest last, one atomic rename) is unchanged, so a write interrupted by the process dying leaves only a
 * temp directory.
 */
public final class BackgroundWriter implements AutoCloseable {
  /** A write to run: returns what it wrote. */
  @FunctionalInterface
  public interface Job {
    CheckpointStore.Written run() throws IOException;
  }

  /** A finished write: its result or the error it failed with, and the step it was for. */
  public record Outcome(long step, CheckpointStore.Written written, IOException error) {}

  private final ExecutorService thread = Executors.newSingleThreadExecutor(Threads.daemon("annealer-checkpoint-writer"));
  private CompletableFuture<Outcome> inFlight;

  /** Whether a write is still running. */
  public boolean busy() {
    return inFlight != null && !inFlight.isDone();
  }

  /**
   * Starts {@code job} for {@code step}; {@code after} runs on the writer thread when it is over (frees the snapshot).
   *
   * @throws IllegalStateException when a write is in flight (at most one)
   */
  public void submit(long step, Job job, Runnable after) {
    if (inFlight != null) {
      throw new IllegalStateException("a checkpoint write is in flight; poll or await it first");
    }
    inFlight = CompletableFuture.supplyAsync(() -> {
      try {
        return new Outcome(step, job.run(), null);
      } catch (IOException e) {
        return new Outcome(step, null, e);
      } finally {
        after.run();
      }
    }, thread);
  }

  /** The finished write's outcome, once (null while none finished). */
  public Outcome poll() {
    if (inFlight == null || !inFlight.isDone()) {
      return null;
    }
    return take();
  }

  /** Waits for the write in flight and returns its outcome (null when none). */
  public Outcome await() {
    return inFlight == null ? null : take();
  }

  private Outcome take() {
    try {
      return inFlight.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome(-1, null, new IOException("interrupted while waiting for a checkpoint write", e));
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(c);
    } finally {
      inFlight = null;
    }
  }

  @Override
  public void close() {
    thread.shutdown();
  }
}
