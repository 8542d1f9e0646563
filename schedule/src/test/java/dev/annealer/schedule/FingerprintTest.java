package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.annealer.schedule.ScheduleConfig.Type;

/** Same meaning -> same digest; any change that moves any step's LR -> a different digest. */
class FingerprintTest {

    static final TrainingContext CTX = new TrainingContext(20_000, 100.0);

    static Schedule of(Map<String, Object> schedule) {
        return of(3e-4, schedule, CTX);
    }

    static Schedule of(double lr, Map<String, Object> schedule, TrainingContext ctx) {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("optimizer", Map.of("learningRate", lr));
        job.put("schedule", schedule);
        return Schedule.of(ScheduleConfig.fromManifest(job, ctx));
    }

    static Map<String, Object> m(Object... kv) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            out.put((String) kv[i], kv[i + 1]);
        }
        return out;
    }

    @Test
    void fingerprintShape() {
        Schedule s = of(m("type", "CosineWarmRestarts", "period", m("steps", 150)));
        assertThat(s.fingerprint()).matches("sha256:[0-9a-f]{64}");
        assertThat(Schedule.of(s.config()).fingerprint()).isEqualTo(s.fingerprint());
    }

    @Test
    void epochsAndStepsSpellTheSameSchedule() {
        Schedule epochs = of(m("type", "CosineWarmRestarts", "period", m("epochs", 1.5), "warmup", m("epochs", 2)));
        Schedule steps = of(m("type", "CosineWarmRestarts", "period", m("steps", 150), "warmup", m("steps", 200)));
        assertThat(epochs.fingerprint()).isEqualTo(steps.fingerprint());
    }

    @Test
    void decimalEpochsMeanTheDecimalTheUserWrote() {
        // 0.1 epochs at 100 steps per epoch is 10 whole steps, although the double 0.1 is not exactly one tenth.
        Schedule epochs = of(m("type", "CosineWarmRestarts", "period", m("epochs", 0.3), "warmup", m("epochs", 0.1)));
        Schedule steps = of(m("type", "CosineWarmRestarts", "period", m("steps", 30), "warmup", m("steps", 10)));
        assertThat(epochs.fingerprint()).isEqualTo(steps.fingerprint());
    }

    @Test
    void writtenDefaultsEqualOmittedDefaults() {
        Schedule bare = of(m("type", "CosineWarmRestarts", "period", m("steps", 150)));
        Schedule full = of(m("type", "CosineWarmRestarts", "period", m("steps", 150), "periodMultiplier", 1.0,
                "peakDecay", 1, "minLearningRate", 0.0, "cosineWaves", 0.5, "kDecay", 1, "cosineExponent", 1.0,
                "cycleIndexArithmetic", "Exact", "warmup", m("steps", 0, "startFactor", 0.3, "placement", "Overlap")));
        assertThat(full.fingerprint()).isEqualTo(bare.fingerprint());
    }

    @Test
    void equivalentFamiliesCollapse() {
        // Cosine over a horizon == one SGDR cycle of that length, then hold
        Schedule cosine = of(m("type", "Cosine", "horizon", m("steps", 500), "minLearningRate", 1e-6));
        Schedule oneCycle = of(m("type", "CosineWarmRestarts", "period", m("steps", 500), "maxCycles", 1,
                "periodMultiplier", 3, "peakDecay", 0.5, "minLearningRate", 1e-6));
        assertThat(oneCycle.fingerprint()).isEqualTo(cosine.fingerprint());
        // Cosine horizon defaulting to the rest of training == the same horizon written out
        Schedule byBudget = of(m("type", "Cosine", "warmup", m("steps", 100), "minLearningRate", 1e-6));
        Schedule written = of(m("type", "Cosine", "warmup", m("steps", 100), "horizon", m("steps", 19_900),
                "minLearningRate", 1e-6));
        assertThat(byBudget.fingerprint()).isEqualTo(written.fingerprint());
        // a cosine whose floor is its peak is Constant
        assertThat(of(m("type", "Cosine", "horizon", m("steps", 10), "minLearningRate", 3e-4)).fingerprint())
                .isEqualTo(of(m("type", "Constant")).fingerprint());
        // optax: warmup_cosine_decay == sgdr_schedule with a single entry
        Map<String, Object> kw = m("init_value", 0.0, "peak_value", 1e-3, "warmup_steps", 20, "decay_steps", 200,
                "end_value", 1e-5);
        assertThat(Schedule.of(PeerImporter.fromPeer("optax:sgdr_schedule", m("cosine_kwargs", List.of(kw)), null))
                .fingerprint()).isEqualTo(Schedule.of(PeerImporter.fromPeer("optax:warmup_cosine_decay_schedule", kw, null))
                .fingerprint());
    }

    @Test
    void theBudgetMattersOnlyWhenItShapesTheCurve() {
        Map<String, Object> sgdr = m("type", "CosineWarmRestarts", "period", m("steps", 150));
        assertThat(of(3e-4, sgdr, new TrainingContext(10, null)).fingerprint())
                .isEqualTo(of(3e-4, sgdr, new TrainingContext(99_999, null)).fingerprint());
        // HF #4383-style: a cosine over "the rest of training" rescales when the budget changes
        Map<String, Object> cosine = m("type", "Cosine");
        assertThat(of(3e-4, cosine, TrainingContext.ofSteps(1000)).fingerprint())
                .isNotEqualTo(of(3e-4, cosine, TrainingContext.ofSteps(1200)).fingerprint());
    }

    /** Each variant moves at least one LR; each must change the fingerprint, and differ from every other variant. */
    @Test
    void everyChangeThatMovesAnLrChangesTheFingerprint() {
        Map<String, Object> base = m("type", "CosineWarmRestarts", "period", m("steps", 150), "periodMultiplier", 2,
                "peakDecay", 0.8, "maxCycles", 5, "minLearningRate", 1e-6, "warmup", m("steps", 50, "startFactor", 0.1),
                "restartOnPlateau", m("patience", 3, "minDelta", 0.001));
        List<Map<String, Object>> variants = new ArrayList<>();
        variants.add(base);
        variants.add(with(base, "period", m("steps", 151)));
        variants.add(with(base, "period", m("steps", 150.5)));
        variants.add(with(base, "periodMultiplier", 2.0000000000000004));
        variants.add(with(base, "peakDecay", 0.81));
        variants.add(with(base, "maxCycles", 6));
        variants.add(with(base, "minLearningRate", 2e-6));
        variants.add(with(base, "warmup", m("steps", 51, "startFactor", 0.1)));
        variants.add(with(base, "warmup", m("steps", 50, "startFactor", 0.2)));
        variants.add(with(base, "warmup", m("steps", 50, "startFactor", 0.1, "placement", "Overlap")));
        variants.add(with(base, "cosineWaves", 0.75));
        variants.add(with(base, "kDecay", 2));
        variants.add(with(base, "cosineExponent", 2));
        variants.add(with(base, "cycleIndexArithmetic", "Float64Log"));
        variants.add(with(base, "restartOnPlateau", m("patience", 4, "minDelta", 0.001)));
        variants.add(with(base, "restartOnPlateau", m("patience", 3, "minDelta", 0.002)));
        List<Schedule> schedules = new ArrayList<>();
        for (Map<String, Object> v : variants) {
            schedules.add(of(v));
        }
        Schedule lrChanged = of(3.0000000000000004e-4, base, CTX);
        schedules.add(lrChanged);
        for (int i = 0; i < schedules.size(); i++) {
            for (int j = i + 1; j < schedules.size(); j++) {
                assertThat(schedules.get(i).fingerprint()).as("variant %d vs %d", i, j)
                        .isNotEqualTo(schedules.get(j).fingerprint());
            }
        }
        // and the ones that do not touch restarts really move an LR somewhere (so the test is about LR changes)
        for (int i = 1; i < schedules.size(); i++) {
            if (i == 13 || i == 14 || i == 15) {
                continue; // Float64Log and plateau settings move LRs only at misfiring boundaries / after plateaus
            }
            assertThat(firstDifference(schedules.get(0), schedules.get(i), 5000)).as("variant %d", i).isNotNegative();
        }
    }

    /** Randomized: equal fingerprints imply bit-identical LRs; different LRs imply different fingerprints. */
    @Test
    void fingerprintEqualityMatchesCurveEquality() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        List<Schedule> pool = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            Map<String, Object> s = m("type", "CosineWarmRestarts",
                    "period", r.nextBoolean() ? m("steps", 10 + r.nextInt(3)) : m("epochs", 0.1 + 0.01 * r.nextInt(3)),
                    "periodMultiplier", 1 + r.nextInt(2), "minLearningRate", r.nextBoolean() ? 0.0 : 1e-5);
            if (r.nextBoolean()) {
                s.put("maxCycles", 1 + r.nextInt(3));
            }
            if (r.nextBoolean()) {
                s.put("warmup", m("steps", r.nextInt(3)));
            }
            pool.add(of(s));
        }
        int same = 0;
        for (int i = 0; i < pool.size(); i++) {
            for (int j = i + 1; j < pool.size(); j++) {
                boolean equalFp = pool.get(i).fingerprint().equals(pool.get(j).fingerprint());
                boolean equalCurve = firstDifference(pool.get(i), pool.get(j), 400) < 0;
                assertThat(equalFp).as("pair %d %d: %s / %s", i, j, pool.get(i).config(), pool.get(j).config())
                        .isEqualTo(equalCurve);
                if (equalFp) {
                    same++;
                }
            }
        }
        assertThat(same).as("the pool must contain equal spellings").isGreaterThan(10);
    }

    static long firstDifference(Schedule a, Schedule b, long steps) {
        for (long s = 0; s < steps; s++) {
            if (Double.doubleToRawLongBits(a.lr(s)) != Double.doubleToRawLongBits(b.lr(s))) {
                return s;
            }
        }
        return -1;
    }

    static Map<String, Object> with(Map<String, Object> base, String k, Object v) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        out.put(k, v);
        return out;
    }

    @Test
    void canonicalFormIsReadable() {
        Schedule s = of(m("type", "CosineWarmRestarts", "period", m("epochs", 1.5)));
        assertThat(s.canonicalForm()).contains("kind=CYCLES", "period=150/1", "maxCycles=-1");
        assertThat(Type.values()).hasSize(3);
    }
}
