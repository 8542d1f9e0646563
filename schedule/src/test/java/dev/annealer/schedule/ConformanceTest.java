package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Every vector of {@code conformance/lr-schedules.json} (produced by the real peer libraries) mapped through
 * {@link PeerImporter} -> {@link ScheduleConfig} -> {@link Schedule} must match at every step.
 *
 * <p>Error measure: {@code |ours - ref| / |ref|}. Where the reference is exactly 0 (transformers' warmup step 0, a
 * cosine trough with eta_min = 0) the denominator is {@link Double#MIN_NORMAL} instead, i.e. we must return 0 too
 * (up to 2e-308 x 1e-9): a tiny absolute floor that only exists to avoid dividing by zero.
 */
class ConformanceTest {

    static final double TOLERANCE = 1e-9;
    static final Pattern FRACTIONAL = Pattern.compile("step\\(epoch \\+ i / (\\d+)\\)");
    static final List<String> REPORT = new ArrayList<>();

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases() throws Exception {
        try (InputStream in = ConformanceTest.class.getResourceAsStream("/conformance/lr-schedules.json")) {
            Map<String, Object> root = new ObjectMapper().readValue(in, Map.class);
            return (List<Map<String, Object>>) root.get("cases");
        }
    }

    static Stream<Arguments> vectors() throws Exception {
        return cases().stream().map(c -> Arguments.of(c.get("id"), c));
    }

    static Integer stepsPerEpoch(Map<String, Object> c) {
        Matcher m = FRACTIONAL.matcher(String.valueOf(c.get("stepping")));
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    @SuppressWarnings("unchecked")
    static Schedule importCase(Map<String, Object> c) {
        String name = c.get("library") + ":" + c.get("scheduler");
        return Schedule.of(PeerImporter.fromPeer(name, (Map<String, Object>) c.get("args"), stepsPerEpoch(c)));
    }

    static double error(double ours, double ref) {
        double denom = ref == 0.0 ? Double.MIN_NORMAL : Math.abs(ref);
        return Math.abs(ours - ref) / denom;
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void matchesThePeerAtEveryStep(String id, Map<String, Object> c) {
        Schedule s = importCase(c);
        List<Number> lr = (List<Number>) c.get("lr");
        double worst = 0;
        long worstStep = -1;
        for (int n = 0; n < lr.size(); n++) {
            double ref = lr.get(n).doubleValue();
            double e = error(s.lr(n), ref);
            if (e > worst || worstStep < 0) {
                worst = Math.max(worst, e);
                worstStep = n;
            }
            assertThat(e).as("%s step %d: ours %s vs %s %s", id, n, s.lr(n), c.get("library"), ref)
                    .isLessThanOrEqualTo(TOLERANCE);
        }
        String line = String.format("%s %-14s %-52s steps=%3d max rel error=%.3e (step %d)", id, c.get("library"),
                c.get("scheduler"), lr.size(), worst, worstStep);
        System.out.println("[conformance] " + line);
        synchronized (REPORT) {
            REPORT.add(line);
        }
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void manifestRoundTripKeepsFingerprintAndCurve(String id, Map<String, Object> c) {
        Schedule s = importCase(c);
        ScheduleConfig back = ScheduleConfig.fromManifest(s.config().toManifest(), s.config().context());
        assertThat(back).isEqualTo(s.config());
        Schedule t = Schedule.of(back);
        assertThat(t.fingerprint()).isEqualTo(s.fingerprint());
        int steps = ((List<Number>) c.get("lr")).size();
        for (int n = 0; n < steps; n++) {
            assertThat(Double.doubleToRawLongBits(t.lr(n))).isEqualTo(Double.doubleToRawLongBits(s.lr(n)));
        }
    }

    /** shared-009: torch saved state_dict() after 37 steps; our position at step 37 must be that state. */
    @Test
    @SuppressWarnings("unchecked")
    void torchStateDictResumeMatchesOurPosition() throws Exception {
        Map<String, Object> c = cases().stream().filter(x -> x.containsKey("state_dict")).findFirst().orElseThrow();
        Map<String, Object> sd = (Map<String, Object>) c.get("state_dict");
        Schedule s = importCase(c);
        long at = ((Number) sd.get("last_epoch")).longValue();
        SchedulePosition p = s.position(at);
        assertThat(p.cycleStep()).isEqualTo(((Number) sd.get("T_cur")).longValue());
        assertThat(p.cycleLength()).isEqualTo(((Number) sd.get("T_i")).longValue());
        String last = String.valueOf(sd.get("_last_lr")).replaceAll("[\\[\\]]", "");
        assertThat(error(p.learningRate(), Double.parseDouble(last))).isLessThanOrEqualTo(TOLERANCE);
        // a schedule rebuilt from the checkpointed config continues exactly: same fingerprint, same LRs after resume
        Schedule resumed = Schedule.of(ScheduleConfig.fromManifest(s.config().toManifest(), s.config().context()));
        List<Number> lr = (List<Number>) c.get("lr");
        for (int n = (int) at; n < lr.size(); n++) {
            assertThat(error(resumed.lr(n), lr.get(n).doubleValue())).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    @Test
    void everyVectorIsCovered() throws Exception {
        List<Map<String, Object>> all = cases();
        assertThat(all).hasSize(23);
        for (Map<String, Object> c : all) {
            assertThat(PeerImporter.NAMES).contains(c.get("library") + ":" + c.get("scheduler"));
        }
    }

    @AfterAll
    static void summary() {
        if (!REPORT.isEmpty()) {
            System.out.println("[conformance] largest relative error per case (tolerance " + TOLERANCE + "):");
            REPORT.stream().sorted().forEach(l -> System.out.println("[conformance]   " + l));
        }
    }
}
