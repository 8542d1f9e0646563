package dev.annealer.trainer.checkpoint;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon threads for checkpoint hashing and verification (never keep the JVM alive). */
final class Threads {
  /** Hashing beside a write and verification beside a load: as many as there are cores, at least two. */
  static final ExecutorService HASH = Executors.newFixedThreadPool(
      Math.max(2, Runtime.getRuntime().availableProcessors()), daemon("annealer-checkpoint-hash"));

  /** Coordinating tasks (one per verified file, the parameters digest) that wait on {@link #HASH}; never HASH itself. */
  static final ExecutorService VERIFY = Executors.newCachedThreadPool(daemon("annealer-checkpoint-verify"));

  private Threads() {}

  static java.util.concurrent.ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
