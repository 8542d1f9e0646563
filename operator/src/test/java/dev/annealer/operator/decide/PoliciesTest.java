package dev.annealer.operator.decide;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class PoliciesTest {

    @ParameterizedTest(name = "failure {0} -> {1} s")
    @CsvSource({"0,0", "1,10", "2,20", "3,40", "4,80", "5,160", "6,300", "7,300", "60,300", "2147483647,300"})
    void backoffDoublesUpToTheCap(int failures, long seconds) {
        assertThat(BackoffPolicy.DEFAULT.delay(failures)).isEqualTo(Duration.ofSeconds(seconds));
    }

    @Test
    void backoffFromSpec() {
        BackoffPolicy p = BackoffPolicy.of(1L, 5L);
        assertThat(p.delay(1)).hasSeconds(1);
        assertThat(p.delay(3)).hasSeconds(4);
        assertThat(p.delay(4)).hasSeconds(5);
        assertThat(BackoffPolicy.of(0L, 0L).delay(9)).isZero();
    }

    @ParameterizedTest(name = "maxFailures={0} maxPreemptions={1} failures={2} preemptions={3} -> {4}")
    @CsvSource({
            "3,-1,0,0,",
            "3,-1,3,0,",
            "3,-1,4,0,FAILURES",
            "0,-1,1,0,FAILURES",
            "3,-1,0,1000000,",
            "3,2,0,2,",
            "3,2,0,3,PREEMPTIONS",
            "3,0,0,1,PREEMPTIONS"})
    void failureBudget(int maxFailures, int maxPreemptions, int failures, int preemptions, String which) {
        var verdict = new FailureBudget(maxFailures, maxPreemptions).check(failures, preemptions);
        if (which == null) {
            assertThat(verdict).isEmpty();
        } else {
            assertThat(verdict).get().extracting(FailureBudget.Exhausted::which)
                    .isEqualTo(FailureBudget.Exhausted.Which.valueOf(which));
            assertThat(verdict.get().message()).contains("spec.failurePolicy.max");
        }
    }

    @Test
    void failureBudgetDefaultsToThreeFailuresAndUnlimitedPreemptions() {
        assertThat(FailureBudget.of(null, null)).isEqualTo(new FailureBudget(3, -1));
    }

    @Test
    void ttl() {
        Instant done = Instant.parse("2026-11-28T10:00:00Z");
        assertThat(TtlPolicy.evaluate(null, done, done.plusSeconds(999999))).isInstanceOf(TtlPolicy.Keep.class);
        assertThat(TtlPolicy.evaluate(0L, done, done)).isInstanceOf(TtlPolicy.DeleteNow.class);
        assertThat(TtlPolicy.evaluate(60L, done, done.plusSeconds(59))).isEqualTo(new TtlPolicy.WaitUntil(Duration.ofSeconds(1)));
        assertThat(TtlPolicy.evaluate(60L, done, done.plusSeconds(60))).isInstanceOf(TtlPolicy.DeleteNow.class);
    }

    @Test
    void aHugeTtlIsClampedInsteadOfOverflowing() {
        Instant done = Instant.parse("2026-11-28T10:00:00Z");
        // plusSeconds(Long.MAX_VALUE) throws DateTimeException: a finished job with this TTL could never be written
        assertThat(TtlPolicy.evaluate(Long.MAX_VALUE, done, done)).isEqualTo(
                new TtlPolicy.WaitUntil(Duration.ofSeconds(TtlPolicy.MAX_SECONDS)));
        assertThat(TtlPolicy.evaluate(Long.MAX_VALUE, done, Instant.MAX)).isInstanceOf(TtlPolicy.DeleteNow.class);
        assertThat(TtlPolicy.evaluate(-5L, done, done)).isInstanceOf(TtlPolicy.DeleteNow.class);
    }

    /** The CRD's defaults are what the API server fills in; the code's fallbacks must say the same thing. */
    @Test
    void theCrdDefaultsAndMaximaAgreeWithThePolicies() throws Exception {
        var crd = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(java.nio.file.Path.of("../crds/finetunejobs.annealer.dev-v1.yml").toFile());
        var spec = crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties");
        var backoff = spec.at("/failurePolicy/properties/backoff/properties");
        assertThat(backoff.at("/maxSeconds/default").asLong()).isEqualTo(BackoffPolicy.DEFAULT.max().toSeconds());
        assertThat(backoff.at("/initialSeconds/default").asLong()).isEqualTo(BackoffPolicy.DEFAULT.initial().toSeconds());
        assertThat(spec.at("/ttlSecondsAfterFinished/maximum").asLong()).isEqualTo(TtlPolicy.MAX_SECONDS);
    }

    @ParameterizedTest(name = "streak {0}, step at last preemption {1}, step now {2} -> {3}")
    @CsvSource({
            ",,,1",          // first preemption before any step: no progress since the start
            ",,500,0",       // first preemption after progress
            "0,500,500,1",   // the SIGTERM checkpoint was lost: same step again
            "2,500,500,3",
            "3,500,450,4",   // behind (resumed from an older checkpoint and preempted before catching up)
            "5,500,501,0"})  // any progress ends the streak
    void preemptionStreak(Integer streak, Long before, Long now, int expected) {
        assertThat(StallPolicy.streak(streak, before, now)).isEqualTo(expected);
    }

    @Test
    void theThirdPreemptionWithoutProgressStartsTheBackoff() {
        assertThat(StallPolicy.delay(2, BackoffPolicy.DEFAULT)).isEmpty();
        assertThat(StallPolicy.delay(3, BackoffPolicy.DEFAULT)).contains(Duration.ofSeconds(10));
        assertThat(StallPolicy.delay(4, BackoffPolicy.DEFAULT)).contains(Duration.ofSeconds(20));
        assertThat(StallPolicy.delay(40, BackoffPolicy.DEFAULT)).contains(Duration.ofSeconds(300));
    }
}
