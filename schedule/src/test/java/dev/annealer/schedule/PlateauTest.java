package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.annealer.schedule.ScheduleConfig.RestartOnPlateau;
import dev.annealer.schedule.ScheduleConfig.Type;
import dev.annealer.schedule.SchedulePosition.Phase;

/** The restart-on-plateau state machine: deterministic, serializable, LR pure in (config, state, step). */
class PlateauTest {

    static Schedule schedule(int patience, double minDelta, Long maxCycles) {
        return Schedule.of(ScheduleConfig.builder().learningRate(0.1).type(Type.CosineWarmRestarts).periodSteps(100)
                .periodMultiplier(2.0).minLearningRate(0.001).maxCycles(maxCycles).warmupSteps(10, 0.0)
                .restartOnPlateau(new RestartOnPlateau(patience, minDelta)).build());
    }

    @Test
    void stalledLossRestartsTheNextCycleEarly() {
        Schedule s = schedule(2, 0.01, null);
        PlateauState st = PlateauState.initial();
        st = Plateau.observe(s, st, 5, 9.0); // warmup: ignored
        assertThat(st.bestLoss()).isInfinite();
        st = Plateau.observe(s, st, 20, 1.0); // baseline of cycle 0
        assertThat(st.bestLoss()).isEqualTo(1.0);
        st = Plateau.observe(s, st, 30, 0.95); // improvement > minDelta
        assertThat(st.stale()).isZero();
        st = Plateau.observe(s, st, 40, 0.945); // < minDelta better: stale 1
        assertThat(st.stale()).isEqualTo(1);
        assertThat(st.restarts()).isEmpty();
        st = Plateau.observe(s, st, 50, 0.96); // stale 2 = patience: cycle 1 starts at step 51
        assertThat(st.restarts()).containsExactly(new PlateauState.Restart(51, 1));
        assertThat(st.cycle()).isEqualTo(1);

        // the curve: unchanged up to 50, then cycle 1 (length 200, peak 0.1) from step 51
        Schedule plain = schedule(2, 0.01, null);
        for (long step = 0; step <= 50; step++) {
            assertThat(s.lr(step, st)).isEqualTo(plain.lr(step));
        }
        assertThat(s.position(51, st)).isEqualTo(new SchedulePosition(51, 1, 0, 200, 0.1, 0.1, Phase.ANNEALING));
        assertThat(s.position(250, st).cycle()).isEqualTo(1);
        assertThat(s.position(251, st)).satisfies(p -> {
            assertThat(p.cycle()).isEqualTo(2);
            assertThat(p.cycleStep()).isZero();
            assertThat(p.cycleLength()).isEqualTo(400);
        });
        // same LRs as a schedule whose cycle 1 naturally started at 51 (shifted by 110 - 51 = 59 steps)
        for (long step = 51; step < 2000; step += 7) {
            assertThat(s.lr(step, st)).isEqualTo(plain.lr(step + 59));
        }
    }

    @Test
    void naturalRestartsResetTheBaseline() {
        Schedule s = schedule(2, 0.0, null);
        PlateauState st = PlateauState.initial();
        st = Plateau.observe(s, st, 100, 1.0);
        st = Plateau.observe(s, st, 105, 1.0); // stale 1 in cycle 0
        st = Plateau.observe(s, st, 110, 2.0); // step 110 is cycle 1: new baseline, no restart
        assertThat(st.cycle()).isEqualTo(1);
        assertThat(st.stale()).isZero();
        assertThat(st.bestLoss()).isEqualTo(2.0);
        assertThat(st.restarts()).isEmpty();
    }

    @Test
    void noRestartBeyondTheLastCycle() {
        Schedule s = schedule(1, 0.0, 2L);
        PlateauState st = PlateauState.initial();
        st = Plateau.observe(s, st, 20, 1.0);
        st = Plateau.observe(s, st, 21, 1.0); // restart: cycle 1 at 22
        assertThat(st.restarts()).containsExactly(new PlateauState.Restart(22, 1));
        st = Plateau.observe(s, st, 30, 1.0);
        st = Plateau.observe(s, st, 31, 1.0); // would restart into cycle 2, which does not exist
        assertThat(st.restarts()).hasSize(1);
        assertThat(s.position(222, st)).satisfies(p -> {
            assertThat(p.phase()).isEqualTo(Phase.HOLD);
            assertThat(p.cycle()).isEqualTo(2);
            assertThat(p.cycleStep()).isZero();
        });
        assertThat(s.lr(221, st)).isGreaterThan(0.001);
        assertThat(s.lr(222, st)).isEqualTo(0.001);
    }

    @Test
    void deterministicAndReplayable() {
        Schedule s = schedule(2, 0.001, null);
        double[] losses = {1.0, 0.9, 0.9, 0.9, 0.8, 0.85, 0.86, 0.7, 0.7, 0.7, 0.7};
        PlateauState a = PlateauState.initial();
        PlateauState b = PlateauState.initial();
        for (int i = 0; i < losses.length; i++) {
            a = Plateau.observe(s, a, 20 + 25L * i, losses[i]);
            b = Plateau.observe(s, b, 20 + 25L * i, losses[i]);
        }
        assertThat(a).isEqualTo(b);
        assertThat(a.restarts()).isNotEmpty();
    }

    @Test
    void stateSurvivesACheckpointAsJson() throws Exception {
        Schedule s = schedule(1, 0.0, null);
        PlateauState st = PlateauState.initial();
        st = Plateau.observe(s, st, 20, 1.0);
        st = Plateau.observe(s, st, 30, 1.0);
        st = Plateau.observe(s, st, 40, 0.5);
        ObjectMapper json = new ObjectMapper();
        String text = json.writeValueAsString(st.toMap());
        @SuppressWarnings("unchecked")
        Map<String, Object> back = json.readValue(text, Map.class);
        PlateauState restored = PlateauState.fromMap(back);
        assertThat(restored).isEqualTo(st);
        for (long step = 0; step < 1000; step += 13) {
            assertThat(s.lr(step, restored)).isEqualTo(s.lr(step, st));
            assertThat(s.position(step, restored)).isEqualTo(s.position(step, st));
        }
        assertThat(PlateauState.fromMap(PlateauState.initial().toMap())).isEqualTo(PlateauState.initial());
    }

    @Test
    void badInputIsRejectedWithAReason() {
        Schedule s = schedule(1, 0.0, null);
        PlateauState st = Plateau.observe(s, PlateauState.initial(), 20, 1.0);
        assertThatThrownBy(() -> Plateau.observe(s, st2(st), 20, 1.0))
                .hasMessageStartingWith("validation step must increase (got 20 after 20)");
        assertThatThrownBy(() -> Plateau.observe(s, st, 30, Double.NaN))
                .hasMessageStartingWith("validationLoss must be finite (got NaN at step 30)");
        assertThatThrownBy(() -> PlateauState.fromMap(Map.of("stale", "x")))
                .hasMessageContaining("stale must be a number");
        assertThatThrownBy(() -> new PlateauState(1, 0, 0, 0, List.of(new PlateauState.Restart(5, 2),
                new PlateauState.Restart(4, 3)))).hasMessageContaining("must ascend");
    }

    private static PlateauState st2(PlateauState s) {
        return s;
    }

    @Test
    void withoutRestartOnPlateauObservationsChangeNothing() {
        Schedule s = Schedule.of(ScheduleConfig.builder().learningRate(0.1).type(Type.CosineWarmRestarts)
                .periodSteps(10).build());
        PlateauState st = PlateauState.initial();
        for (int i = 1; i < 50; i++) {
            st = Plateau.observe(s, st, i, 1.0);
        }
        assertThat(st.restarts()).isEmpty();
        assertThat(s.lr(33, st)).isEqualTo(s.lr(33));
    }

    @Test
    void explicitCycleListsRestartIntoTheNextListedCycle() {
        Map<String, Object> job = Map.of("optimizer", Map.of("learningRate", 0.01), "schedule", Map.of(
                "type", "CosineWarmRestarts", "restartOnPlateau", Map.of("patience", 1),
                "cycles", List.of(Map.of("steps", 100), Map.of("steps", 50, "peakLearningRate", 0.005))));
        Schedule s = Schedule.of(ScheduleConfig.fromManifest(job, TrainingContext.NONE));
        PlateauState st = Plateau.observe(s, PlateauState.initial(), 10, 1.0);
        st = Plateau.observe(s, st, 20, 1.0);
        assertThat(st.restarts()).containsExactly(new PlateauState.Restart(21, 1));
        assertThat(s.lr(21, st)).isEqualTo(0.005);
        assertThat(s.position(70, st).cycle()).isEqualTo(1);
        assertThat(s.position(71, st).phase()).isEqualTo(Phase.HOLD);
    }
}
