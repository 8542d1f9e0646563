package dev.annealer.operator.progress;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Polls trainers off the reconcile thread. A reconcile calls {@link #poll}, which returns at once with the latest
 * accepted report of that job's current attempt and, when no fetch of that job is in flight and the last one started
 * at least {@code minInterval} ago, queues one on a bounded pool ({@code threads} threads, {@code queue} waiting
 * fetches; when full the fetch is skipped and the next reconcile asks again). A fetched report that differs from the
 * accepted one is checked for replay ({@link #staleness}) and, if fresh, triggers a reconcile of its job through
 * {@code onNewReport}. So a slow or hostile trainer costs one pool thread for at most the fetch timeout, never a
 * reconcile thread, and the API server sees one status write per new report.
 */
public final class ProgressPoller implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ProgressPoller.class);

    /** How a report is fetched (the {@link ProgressClient} in production). */
    @FunctionalInterface
    public interface Fetcher {
        ProgressClient.Result fetch(String host, int port, String token);
    }

    /** Whom to poll: a new attempt, pod IP or token starts afresh (reports of the old one no longer count). */
    public record Target(String jobUid, int attempt, String host, int port, String token) {
    }

    private static final class Slot {
        Target target;
        ProgressReport latest;
        volatile boolean inFlight;
        long requestedAtNanos;
        boolean requested;
    }

    private final Fetcher fetcher;
    private final ThreadPoolExecutor pool;
    private final long minIntervalNanos;
    private final Consumer<ResourceID> onNewReport;
    private final Map<ResourceID, Slot> slots = new ConcurrentHashMap<>();
    private final AtomicLong fetches = new AtomicLong();
    private final AtomicLong replays = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public ProgressPoller(Fetcher fetcher, int threads, int queue, Duration minInterval, Consumer<ResourceID> onNewReport) {
        this.fetcher = fetcher;
        this.minIntervalNanos = minInterval.toNanos();
        this.onNewReport = onNewReport;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue), r -> {
            Thread t = new Thread(r, "progress-poller-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        this.pool.allowCoreThreadTimeOut(true);
    }

    /** The latest accepted report of the target's attempt, if any; queues a fetch when one is due. Never blocks. */
    public Optional<ProgressReport> poll(ResourceID job, Target target) {
        Slot slot = slots.computeIfAbsent(job, k -> new Slot());
        synchronized (slot) {
            if (!target.equals(slot.target)) {
                slot.target = target;
                slot.latest = null;
                slot.requested = false;
            }
            long now = System.nanoTime();
            boolean due = !slot.requested || now - slot.requestedAtNanos >= minIntervalNanos;
            if (!slot.inFlight && due) {
                slot.inFlight = true;
                slot.requested = true;
                slot.requestedAtNanos = now;
                try {
                    pool.execute(() -> fetch(job, slot, target));
                } catch (RejectedExecutionException full) {
                    slot.inFlight = false; // the pool is saturated: the next reconcile asks again
                    slot.requested = false;
                }
            }
            return Optional.ofNullable(slot.latest);
        }
    }

    /** Drops what is known about a job (its attempt ended, it finished or it is gone). */
    public void forget(ResourceID job) {
        slots.remove(job);
    }

    private void fetch(ResourceID job, Slot slot, Target target) {
        fetches.incrementAndGet();
        ProgressClient.Result r;
        try {
            r = fetcher.fetch(target.host(), target.port(), target.token());
        } catch (RuntimeException e) {
            r = ProgressClient.Result.problem("progress fetch failed: " + e);
        }
        boolean changed = false;
        synchronized (slot) {
            slot.inFlight = false;
            if (!target.equals(slot.target) || slots.get(job) != slot) {
                return; // superseded by a new attempt, or forgotten
            }
            if (r.report().isEmpty()) {
                failed.incrementAndGet();
                LOG.debugf("no progress from %s attempt %d: %s", job, target.attempt(), r.problem());
            } else if (!r.report().get().equals(slot.latest)) {
                Optional<String> stale = staleness(slot.latest, r.report().get());
                if (stale.isPresent()) {
                    replays.incrementAndGet();
                    LOG.warnf("progress report of %s attempt %d rejected: %s", job, target.attempt(), stale.get());
                } else {
                    slot.latest = r.report().get();
                    changed = true;
                }
            }
        }
        if (changed) {
            onNewReport.accept(job);
        }
    }

    /**
     * Why {@code next} cannot follow {@code previous} (both of one attempt), if it cannot: its {@code reportedAt} is
     * missing or older, or its step went backwards. A signed report carries no nonce, so a captured body sent again
     * would pass the signature check; within an attempt, time and steps only move forward.
     */
    static Optional<String> staleness(ProgressReport previous, ProgressReport next) {
        if (previous == null) {
            return Optional.empty();
        }
        Instant before = instant(previous.reportedAt());
        Instant at = instant(next.reportedAt());
        if (before != null && at == null) {
            return Optional.of("no reportedAt (or not RFC 3339: " + next.reportedAt() + ") after one at " + before);
        }
        if (before != null && at.isBefore(before)) {
            return Optional.of("reportedAt " + at + " is older than the accepted report's " + before + " (a replay?)");
        }
        if (previous.step() != null && next.step() != null && next.step() < previous.step()) {
            return Optional.of("step " + next.step() + " is behind the accepted report's step " + previous.step());
        }
        return Optional.empty();
    }

    private static Instant instant(String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Fetches in flight or queued (for tests and metrics). */
    public int inFlight() {
        return (int) slots.values().stream().filter(s -> s.inFlight).count();
    }

    /** Fetches started since creation. */
    public long fetches() {
        return fetches.get();
    }

    /** Fetches that brought no report (trainer unreachable, refused, too slow, bad signature) since creation. */
    public long failedFetches() {
        return failed.get();
    }

    /** Reports rejected as stale or replayed since creation. */
    public long rejectedReplays() {
        return replays.get();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
