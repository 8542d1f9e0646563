package dev.annealer.operator.progress;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Polling runs on the poller's own bounded threads; the reconcile thread only reads the latest accepted report. */
class ProgressPollerTest {

    static final ResourceID JOB = new ResourceID("ft", "team-a");
    static final ProgressPoller.Target TARGET = new ProgressPoller.Target("u1", 2, "10.0.0.7", 8080, "t");

    final BlockingQueue<ProgressClient.Result> answers = new LinkedBlockingQueue<>();
    final List<ResourceID> triggered = new CopyOnWriteArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);
    ProgressPoller poller;

    static ProgressReport report(long step, String reportedAt) {
        return new ProgressReport("u1", 2, step, null, null, null, null, null, 0.5, null, null, null, null, "Running",
                reportedAt);
    }

    ProgressPoller poller(Duration minInterval, int threads) {
        poller = new ProgressPoller((host, port, token) -> {
            try {
                return answers.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new ProgressClient.Result(Optional.empty(), "interrupted");
            }
        }, threads, 16, minInterval, triggered::add);
        return poller;
    }

    @AfterEach
    void stop() {
        if (poller != null) {
            poller.close();
        }
    }

    @Test
    void aHangingTrainerNeverBlocksTheCaller() {
        poller(Duration.ZERO, 1);
        long t0 = System.nanoTime();
        assertThat(poller.poll(JOB, TARGET)).isEmpty(); // no answer queued: the fetch hangs on its own thread
        assertThat(poller.poll(JOB, TARGET)).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        assertThat(poller.inFlight()).isEqualTo(1); // one fetch per job at a time, not one per reconcile
    }

    @Test
    void aNewReportTriggersAReconcileThatReadsIt() {
        poller(Duration.ZERO, 2);
        answers.add(ProgressClient.Result.ok(report(700, "2026-11-28T10:00:05Z")));
        poller.poll(JOB, TARGET);
        await().atMost(5, TimeUnit.SECONDS).until(() -> triggered.contains(JOB));
        assertThat(poller.poll(JOB, TARGET)).get().extracting(ProgressReport::step).isEqualTo(700L);
    }

    @Test
    void aReplayedOlderReportIsRejected() {
        poller(Duration.ZERO, 1);
        answers.add(ProgressClient.Result.ok(report(700, "2026-11-28T10:00:05Z")));
        poller.poll(JOB, TARGET);
        await().atMost(5, TimeUnit.SECONDS).until(() -> poller.poll(JOB, TARGET).isPresent());
        // a signed body captured earlier and sent again: valid signature, older reportedAt
        answers.add(ProgressClient.Result.ok(report(500, "2026-11-28T10:00:00Z")));
        await().atMost(5, TimeUnit.SECONDS).until(() -> answers.isEmpty() && poller.inFlight() == 0);
        poller.poll(JOB, TARGET); // a third fetch hangs; what counts is what was accepted
        assertThat(poller.poll(JOB, TARGET)).get().extracting(ProgressReport::step).isEqualTo(700L);
        assertThat(poller.rejectedReplays()).isEqualTo(1);
    }

    @Test
    void staleness() {
        ProgressReport newer = report(700, "2026-11-28T10:00:05Z");
        assertThat(ProgressPoller.staleness(null, newer)).isEmpty();
        assertThat(ProgressPoller.staleness(newer, report(800, "2026-11-28T10:00:10Z"))).isEmpty();
        assertThat(ProgressPoller.staleness(newer, report(700, "2026-11-28T10:00:00Z"))).get().asString()
                .contains("reportedAt 2026-11-28T10:00:00Z is older than");
        assertThat(ProgressPoller.staleness(newer, report(600, "2026-11-28T10:00:09Z"))).get().asString()
                .contains("step 600 is behind");
        assertThat(ProgressPoller.staleness(newer, report(800, null))).get().asString().contains("no reportedAt");
    }

    @Test
    void pollingIsRateLimitedPerJob() {
        poller(Duration.ofHours(1), 1);
        answers.add(ProgressClient.Result.ok(report(700, "2026-11-28T10:00:05Z")));
        poller.poll(JOB, TARGET);
        await().atMost(5, TimeUnit.SECONDS).until(() -> poller.poll(JOB, TARGET).isPresent());
        poller.poll(JOB, TARGET);
        assertThat(poller.fetches()).isEqualTo(1); // the report's own reconcile does not start another fetch
    }

    @Test
    void fetchesThatBringNoReportAreCounted() {
        poller(Duration.ZERO, 1);
        answers.add(ProgressClient.Result.problem("progress channel unreachable: connection refused"));
        poller.poll(JOB, TARGET);
        await().atMost(5, TimeUnit.SECONDS).until(() -> poller.failedFetches() == 1 && poller.inFlight() == 0);
        answers.add(ProgressClient.Result.ok(report(700, "2026-11-28T10:00:05Z")));
        poller.poll(JOB, TARGET);
        await().atMost(5, TimeUnit.SECONDS).until(() -> poller.poll(JOB, TARGET).isPresent());
        // the accepted report is no failure; a third fetch (started by the polling above) hangs and counts nothing yet
        assertThat(poller.failedFetches()).isEqualTo(1);
    }

    @Test
    void aNewAttemptForgetsTheOldReport() {
        poller(Duration.ZERO, 1);
        answers.add(ProgressClient.Result.ok(report(700, "2026-11-28T10:00:05Z")));
        poller.poll(JOB, TARGET);
        await().atMost(5, TimeUnit.SECONDS).until(() -> poller.poll(JOB, TARGET).isPresent());
        assertThat(poller.poll(JOB, new ProgressPoller.Target("u1", 3, "10.0.0.8", 8080, "t"))).isEmpty();
    }
}
