package dev.annealer.trainer;

import java.util.concurrent.atomic.AtomicLong;
import sun.misc.Signal;

/**
 * Turns SIGTERM (the kubelet's preemption / eviction / deletion notice) and SIGINT into a flag the training loop
 * polls between steps. The JVM's default handler is replaced, so the process does not exit on the signal: the loop
 * finishes the current step, writes a checkpoint and exits 75 itself, inside the grace period.
 */
public final class Preemption {
  /** A flag holder with no signal handlers (tests, embedding). */
  public Preemption() {}

  private final AtomicLong signalledAtNanos = new AtomicLong(-1);
  private volatile String signal;

  /** Installs the handlers; returns the flag holder. */
  public static Preemption install() {
    Preemption p = new Preemption();
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), s -> p.request(s.getName()));
      } catch (IllegalArgumentException e) {
        // signal not available on this platform (or reserved by the JVM's -Xrs): nothing to intercept
      }
    }
    return p;
  }

  /** Also used by tests and by the lrRangeTest early stop. */
  public void request(String why) {
    if (signalledAtNanos.compareAndSet(-1, System.nanoTime())) {
      signal = why;
    }
  }

  public boolean requested() {
    return signalledAtNanos.get() >= 0;
  }

  public String signal() {
    return signal;
  }

  /** Seconds since the signal arrived (0 if none). */
  public double secondsSinceSignal() {
    long t = signalledAtNanos.get();
    return t < 0 ? 0 : (System.nanoTime() - t) / 1e9;
  }
}
