package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The {@code optimizer}/{@code schedule} shape: read, write, canonical key order, round trip. */
class ManifestTest {

    @SuppressWarnings("unchecked")
    static Map<String, Object> sketch() throws Exception {
        // the product owner's sketch, as Jackson hands it over (JSON stands in for YAML: same Map types)
        String json = """
                {"optimizer": {"type": "AdamW", "learningRate": 3.0e-4, "weightDecay": 0.01},
                 "schedule": {"type": "CosineWarmRestarts", "warmup": {"steps": 500, "startFactor": 0.0},
                   "minLearningRate": 1.0e-6, "period": {"steps": 2000}, "periodMultiplier": 2.0, "peakDecay": 0.8,
                   "maxCycles": 5, "restartOnPlateau": {"patience": 3, "minDelta": 0.001}}}""";
        return new ObjectMapper().readValue(json, Map.class);
    }

    @Test
    void readsTheSketch() throws Exception {
        ScheduleConfig c = ScheduleConfig.fromManifest(sketch(), TrainingContext.ofSteps(20_000));
        assertThat(c.learningRate()).isEqualTo(3e-4);
        assertThat(c.type()).isEqualTo(ScheduleConfig.Type.CosineWarmRestarts);
        assertThat(c.period()).isEqualTo(ScheduleConfig.Duration.steps(2000));
        assertThat(c.maxCycles()).isEqualTo(5L);
        assertThat(c.restartOnPlateau()).isEqualTo(new ScheduleConfig.RestartOnPlateau(3, 0.001));
        Schedule s = Schedule.of(c);
        assertThat(s.endStep()).isEqualTo(500 + 2000 * 31);
        assertThat(s.position(500 + 2000 + 4000).cycle()).isEqualTo(2);
        assertThat(s.position(500 + 2000 + 4000).cyclePeak()).isEqualTo(3e-4 * Math.pow(0.8, 2)); // as timm: lr * cycle_decay ** i
    }

    @Test
    void writesCanonicalKeyOrderAndRoundTrips() throws Exception {
        ScheduleConfig c = ScheduleConfig.fromManifest(sketch(), TrainingContext.NONE);
        Map<String, Object> out = c.toManifest();
        assertThat(out.keySet()).containsExactly("optimizer", "schedule");
        @SuppressWarnings("unchecked")
        Map<String, Object> sched = (Map<String, Object>) out.get("schedule");
        assertThat(sched.keySet()).containsExactly("type", "warmup", "minLearningRate", "period", "periodMultiplier",
                "peakDecay", "maxCycles", "restartOnPlateau");
        assertThat(sched.get("period")).isEqualTo(Map.of("steps", 2000L));
        assertThat(ScheduleConfig.fromManifest(out, TrainingContext.NONE)).isEqualTo(c);
        assertThat(new ObjectMapper().writeValueAsString(out)).isEqualTo("{\"optimizer\":{\"learningRate\":3.0E-4},"
                + "\"schedule\":{\"type\":\"CosineWarmRestarts\",\"warmup\":{\"steps\":500,\"startFactor\":0.0},"
                + "\"minLearningRate\":1.0E-6,\"period\":{\"steps\":2000},\"periodMultiplier\":2.0,\"peakDecay\":0.8,"
                + "\"maxCycles\":5,\"restartOnPlateau\":{\"patience\":3,\"minDelta\":0.001}}}");
    }

    @Test
    void everyFieldRoundTrips() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "CosineWarmRestarts");
        s.put("warmup", Map.of("epochs", 2, "startLearningRate", 1e-6, "placement", "Overlap"));
        s.put("minLearningRate", 1e-6);
        s.put("cycles", List.of(Map.of("epochs", 1.5, "warmup", Map.of("steps", 10, "startFactor", 0.5),
                "peakLearningRate", 2e-4, "minLearningRate", 0.0, "cosineExponent", 2.0), Map.of("steps", 300)));
        s.put("restartOnPlateau", Map.of("patience", 2));
        s.put("cosineWaves", 0.5);
        s.put("kDecay", 1.5);
        s.put("cosineExponent", 1.0);
        Map<String, Object> job = Map.of("optimizer", Map.of("learningRate", 3e-4), "schedule", s);
        TrainingContext ctx = new TrainingContext(0, 100.0);
        ScheduleConfig c = ScheduleConfig.fromManifest(job, ctx);
        ScheduleConfig back = ScheduleConfig.fromManifest(c.toManifest(), ctx);
        assertThat(back).isEqualTo(c);
        assertThat(Schedule.of(back).fingerprint()).isEqualTo(Schedule.of(c).fingerprint());
        Map<String, Object> cosine = Map.of("optimizer", Map.of("learningRate", 1.0), "schedule", Map.of("type", "Cosine",
                "horizon", Map.of("steps", 10.5), "afterHorizon", "Continue", "cosineWaves", 1.5));
        ScheduleConfig cc = ScheduleConfig.fromManifest(cosine, TrainingContext.NONE);
        assertThat(ScheduleConfig.fromManifest(cc.toManifest(), TrainingContext.NONE)).isEqualTo(cc);
    }

    @Test
    void missingScheduleIsConstant() {
        ScheduleConfig c = ScheduleConfig.fromManifest(Map.of("optimizer", Map.of("learningRate", 0.01)),
                TrainingContext.NONE);
        assertThat(c.type()).isEqualTo(ScheduleConfig.Type.Constant);
        assertThat(Schedule.of(c).lr(123)).isEqualTo(0.01);
    }
}
