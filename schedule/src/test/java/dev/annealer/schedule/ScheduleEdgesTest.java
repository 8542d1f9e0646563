package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.annealer.schedule.ScheduleConfig.Type;
import dev.annealer.schedule.SchedulePosition.Phase;

/** Edges: step 0, cycle boundaries, warmup end, maxCycles end, fractional periods, peer index arithmetic. */
class ScheduleEdgesTest {

    static ScheduleConfig.Builder sgdr(double lr, double period, double mult) {
        return ScheduleConfig.builder().learningRate(lr).type(Type.CosineWarmRestarts).periodSteps(period)
                .periodMultiplier(mult);
    }

    @Test
    void stepZeroIsThePeakExactly() {
        Schedule s = Schedule.of(sgdr(0.1, 10, 2).minLearningRate(1e-4).build());
        assertThat(s.lr(0)).isEqualTo(0.1);
        assertThat(s.position(0)).isEqualTo(new SchedulePosition(0, 0, 0, 10, 0.1, 0.1, Phase.ANNEALING));
    }

    @Test
    void cycleBoundariesRestartAtThePeakExactly() {
        Schedule s = Schedule.of(sgdr(0.1, 10, 2).minLearningRate(1e-4).peakDecay(0.5).build());
        // cycles: [0,10) [10,30) [30,70) [70,150)
        long[] starts = {0, 10, 30, 70, 150};
        for (int c = 0; c < starts.length; c++) {
            SchedulePosition p = s.position(starts[c]);
            assertThat(p.cycle()).isEqualTo(c);
            assertThat(p.cycleStep()).isZero();
            assertThat(p.cycleLength()).isEqualTo(10L << c);
            assertThat(p.learningRate()).isEqualTo(0.1 * Math.pow(0.5, c));
            assertThat(s.cycleStart(c)).isEqualTo(starts[c]);
            if (c > 0) {
                SchedulePosition before = s.position(starts[c] - 1);
                assertThat(before.cycle()).isEqualTo(c - 1);
                assertThat(before.cycleStep()).isEqualTo((10L << (c - 1)) - 1);
                assertThat(before.learningRate()).isLessThan(p.learningRate()).isGreaterThan(1e-4);
            }
        }
    }

    @Test
    void warmupEndsExactlyAtThePeak() {
        Schedule s = Schedule.of(sgdr(0.2, 100, 1).warmupSteps(5, 0.1).build());
        assertThat(s.lr(0)).isEqualTo(0.1 * 0.2);
        assertThat(s.lr(4)).isCloseTo(0.02 + 0.18 * 4 / 5, org.assertj.core.data.Offset.offset(1e-17));
        assertThat(s.position(4).phase()).isEqualTo(Phase.WARMUP);
        assertThat(s.position(4).cycleLength()).isEqualTo(5);
        assertThat(s.lr(5)).isEqualTo(0.2);
        assertThat(s.position(5)).isEqualTo(new SchedulePosition(5, 0, 0, 100, 0.2, 0.2, Phase.ANNEALING));
        assertThat(s.cycleStart(1)).isEqualTo(105);
        assertThat(s.position(105).cycleStep()).isZero();
    }

    @Test
    void overlapWarmupSharesTheFirstCyclesClock() {
        ScheduleConfig.Warmup w = new ScheduleConfig.Warmup(ScheduleConfig.Duration.steps(5), null, 0.0,
                ScheduleConfig.WarmupPlacement.Overlap);
        Schedule s = Schedule.of(sgdr(0.2, 20, 1).warmup(w).build());
        Schedule plain = Schedule.of(sgdr(0.2, 20, 1).build());
        assertThat(s.lr(4)).isCloseTo(0.16, org.assertj.core.data.Offset.offset(1e-16));
        for (long step = 5; step < 60; step++) {
            assertThat(s.lr(step)).isEqualTo(plain.lr(step));
        }
        assertThat(s.cycleStart(1)).isEqualTo(20);
    }

    @Test
    void afterMaxCyclesTheLrHoldsAtTheFloor() {
        Schedule s = Schedule.of(sgdr(0.1, 10, 2).minLearningRate(1e-4).maxCycles(3).build());
        assertThat(s.endStep()).isEqualTo(70);
        assertThat(s.lr(69)).isGreaterThan(1e-4);
        assertThat(s.lr(70)).isEqualTo(1e-4);
        assertThat(s.position(70)).isEqualTo(new SchedulePosition(70, 3, 0, 0, 1e-4, 1e-4, Phase.HOLD));
        assertThat(s.position(1_000_000_000_000L).cycleStep()).isEqualTo(1_000_000_000_000L - 70);
        assertThat(s.lr(1_000_000_000_000L)).isEqualTo(1e-4);
        assertThat(s.cycleStart(3)).isEqualTo(-1);
    }

    @Test
    void cosineHoldsOrContinuesAfterItsHorizon() {
        ScheduleConfig.Builder b = ScheduleConfig.builder().learningRate(1.0).type(Type.Cosine).horizonSteps(10)
                .minLearningRate(0.1);
        Schedule hold = Schedule.of(b.build());
        Schedule cont = Schedule.of(b.afterHorizon(ScheduleConfig.AfterHorizon.Continue).build());
        assertThat(hold.lr(10)).isEqualTo(0.1);
        assertThat(hold.lr(15)).isEqualTo(0.1);
        assertThat(hold.position(15).phase()).isEqualTo(Phase.HOLD);
        assertThat(cont.lr(10)).isEqualTo(0.1);
        assertThat(cont.lr(15)).isEqualTo(cont.lr(5));
        assertThat(cont.lr(20)).isEqualTo(1.0);
        assertThat(cont.lr(2_000_000_000_000L + 3)).isEqualTo(cont.lr(3));
        assertThat(cont.position(15).phase()).isEqualTo(Phase.ANNEALING);
        assertThat(cont.endStep()).isEqualTo(-1);
    }

    @Test
    void cosineHorizonDefaultsToTheRestOfTraining() {
        ScheduleConfig c = ScheduleConfig.builder().learningRate(1.0).type(Type.Cosine).warmupSteps(10, 0)
                .context(TrainingContext.ofSteps(110)).build();
        Schedule s = Schedule.of(c);
        assertThat(s.endStep()).isEqualTo(110);
        assertThat(s.lr(60)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(s.lr(110)).isZero();
    }

    @Test
    void fractionalPeriodsStartAtTheFirstStepAtOrAfterTheRealBoundary() {
        Schedule s = Schedule.of(sgdr(1.0, 67.5, 1).build());
        assertThat(s.position(67).cycle()).isZero();
        assertThat(s.position(68)).satisfies(p -> {
            assertThat(p.cycle()).isEqualTo(1);
            assertThat(p.cycleStep()).isZero();
        });
        assertThat(s.position(135).cycle()).isEqualTo(2); // 2 x 67.5 = 135: exact boundary, exact peak
        assertThat(s.lr(135)).isEqualTo(1.0);
        assertThat(s.position(68).cycleLength()).isEqualTo(67); // steps 68..134
        assertThat(s.position(0).cycleLength()).isEqualTo(68); // steps 0..67
    }

    @Test
    void realMultiplierHitsExactWholeBoundaries() {
        // T0 = 32, m = 1.5: starts 0, 32, 80, 152, 260, 422, 665, 1029.5
        Schedule s = Schedule.of(sgdr(0.1, 32, 1.5).build());
        long[] starts = {0, 32, 80, 152, 260, 422, 665};
        for (int c = 0; c < starts.length; c++) {
            assertThat(s.position(starts[c]).cycle()).as("cycle at %d", starts[c]).isEqualTo(c);
            assertThat(s.lr(starts[c])).isEqualTo(0.1);
            if (c > 0) {
                assertThat(s.position(starts[c] - 1).cycle()).isEqualTo(c - 1);
            }
        }
        assertThat(s.position(1029).cycle()).isEqualTo(6);
        assertThat(s.position(1030).cycle()).isEqualTo(7);
        assertThat(s.cycleStart(7)).isEqualTo(1030);
    }

    @Test
    void horizonWithMaxCyclesSplitsItExactly() {
        Schedule s = Schedule.of(ScheduleConfig.builder().learningRate(1.0).type(Type.CosineWarmRestarts)
                .horizonSteps(100).maxCycles(3).build());
        assertThat(s.position(33).cycle()).isZero();
        assertThat(s.position(34).cycle()).isEqualTo(1);
        assertThat(s.position(66).cycle()).isEqualTo(1);
        assertThat(s.position(67).cycle()).isEqualTo(2);
        assertThat(s.endStep()).isEqualTo(100);
        assertThat(s.lr(100)).isZero();
    }

    @Test
    void hugeStepsStayExactAtWholeBoundaries() {
        Schedule s = Schedule.of(sgdr(0.1, 1000, 2).build());
        // S_30 = 1000 (2^30 - 1) = 1_073_741_823_000
        long start = 1000L * ((1L << 30) - 1);
        assertThat(s.position(start).cycle()).isEqualTo(30);
        assertThat(s.lr(start)).isEqualTo(0.1);
        assertThat(s.position(start - 1).cycle()).isEqualTo(29);
        assertThat(s.position(start - 1).cycleStep()).isEqualTo(1000L * (1L << 29) - 1);
        Schedule m1 = Schedule.of(sgdr(0.1, 7, 1).build());
        assertThat(m1.position(7_000_000_000_000L)).satisfies(p -> {
            assertThat(p.cycle()).isEqualTo(1_000_000_000_000L);
            assertThat(p.cycleStep()).isZero();
            assertThat(p.learningRate()).isEqualTo(0.1);
        });
    }

    @Test
    void float64LogReproducesTorchsEpochArithmeticAtBoundaries() {
        // torch: step(epoch) with T_0 = 1, T_mult = 10: epoch 111 = 1 + 10 + 100 starts cycle 3, but
        // int(math.log(111 / 1 * 9 + 1, 10)) = int(2.9999999999999996) = 2, so torch is at T_cur = T_i = 100: eta_min.
        Map<String, Object> args = Map.of("lr", 0.5, "T_0", 1, "T_mult", 10, "eta_min", 0.001);
        Schedule torch = Schedule.of(PeerImporter.fromPeer("torch:CosineAnnealingWarmRestarts", args, 1));
        assertThat(torch.lr(111)).isEqualTo(0.001);
        assertThat(torch.lr(11)).isEqualTo(0.5); // log(100)/log(10) = 2 exactly: a true restart
        assertThat(torch.lr(112)).isEqualTo(Schedule.of(torch.config().toBuilder().cycleIndexArithmetic(null).build()).lr(112));
        Schedule exact = Schedule.of(torch.config().toBuilder().cycleIndexArithmetic(null).build());
        assertThat(exact.lr(111)).isEqualTo(0.5);
        assertThat(exact.fingerprint()).isNotEqualTo(torch.fingerprint());
        // T_mult = 3: the boundary at epoch 121 misfires the same way (log(243)/log(3) = 4.999999999999999)
        Schedule three = Schedule.of(PeerImporter.fromPeer("torch:CosineAnnealingWarmRestarts",
                Map.of("lr", 1.0, "T_0", 1, "T_mult", 3), 4));
        assertThat(three.lr(121 * 4)).isZero();
        assertThat(three.lr(40 * 4)).isEqualTo(1.0);
    }

    @Test
    void kDecayAndExponentShapeTheCosine() {
        Schedule k2 = Schedule.of(sgdr(1.0, 100, 1).kDecay(2.0).build());
        double u = 0.3;
        assertThat(k2.lr(30)).isCloseTo(0.5 * (1 + Math.cos(Math.PI * u * u)), org.assertj.core.data.Offset.offset(1e-15));
        Schedule e2 = Schedule.of(sgdr(1.0, 100, 1).cosineExponent(2.0).build());
        double f = 0.5 * (1 + Math.cos(Math.PI * u));
        assertThat(e2.lr(30)).isCloseTo(f * f, org.assertj.core.data.Offset.offset(1e-15));
    }

    @Test
    void constantIsConstantAfterItsWarmup() {
        Schedule s = Schedule.of(ScheduleConfig.builder().learningRate(0.01).warmupSteps(4, 0.5).build());
        assertThat(s.lr(0)).isEqualTo(0.005);
        assertThat(s.lr(4)).isEqualTo(0.01);
        assertThat(s.lr(1L << 50)).isEqualTo(0.01);
        assertThat(s.position(10).phase()).isEqualTo(Phase.HOLD);
    }

    @Test
    void explicitCycleListWalksItsCyclesAndHoldsAtTheEnd() {
        Schedule s = Schedule.of(PeerImporter.fromPeer("optax:sgdr_schedule", Map.of("cosine_kwargs", java.util.List.of(
                Map.of("init_value", 0.001, "peak_value", 0.01, "decay_steps", 100, "warmup_steps", 10, "end_value", 1e-4),
                Map.of("init_value", 0.001, "peak_value", 0.005, "decay_steps", 200, "warmup_steps", 10,
                        "end_value", 1e-4))), null));
        assertThat(s.lr(0)).isEqualTo(0.001);
        assertThat(s.lr(10)).isEqualTo(0.01);
        assertThat(s.position(100)).isEqualTo(new SchedulePosition(100, 1, 0, 200, 0.005, 0.001, Phase.WARMUP));
        assertThat(s.lr(110)).isEqualTo(0.005);
        assertThat(s.endStep()).isEqualTo(300);
        assertThat(s.lr(300)).isEqualTo(1e-4);
        assertThat(s.lr(1_000_000_000_000L)).isEqualTo(1e-4);
        assertThat(s.position(300).phase()).isEqualTo(Phase.HOLD);
    }

    @Test
    void negativeStepsAreRejected() {
        Schedule s = Schedule.of(sgdr(0.1, 10, 1).build());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.lr(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("step must be >= 0 (got -1)");
    }

    @Test
    void positionReportsExactlyTheLrOfLr() {
        List<Schedule> all = List.of(Schedule.of(sgdr(0.1, 10, 2).minLearningRate(1e-4).maxCycles(6).build()),
                Schedule.of(sgdr(0.1, 30, 1.5).build()), Schedule.of(sgdr(0.1, 67.5, 1).warmupSteps(3, 0).build()),
                Schedule.of(sgdr(0.1, 1000, 3).build()), Schedule.of(sgdr(0.1, 100, 1.1).kDecay(2.0).build()),
                Schedule.of(ScheduleConfig.builder().learningRate(1.0).type(Type.CosineWarmRestarts).horizonSteps(100)
                        .maxCycles(3).build()),
                Schedule.of(PeerImporter.fromPeer("torch:CosineAnnealingWarmRestarts",
                        Map.of("lr", 0.5, "T_0", 1, "T_mult", 10, "eta_min", 0.001), 1)),
                Schedule.of(PeerImporter.fromPeer("timm:CosineLRScheduler", Map.of("lr", 0.1, "t_initial", 30,
                        "cycle_mul", 1.5, "cycle_limit", 5, "warmup_t", 10), null)));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        for (Schedule s : all) {
            for (int i = 0; i < 3000; i++) {
                long step = i < 1500 ? i : rnd.nextLong(2_000_000_000_000L);
                assertThat(Double.doubleToRawLongBits(s.position(step).learningRate()))
                        .as("%s step %d", s.config(), step).isEqualTo(Double.doubleToRawLongBits(s.lr(step)));
                assertThat(s.lr(step, PlateauState.initial())).isEqualTo(s.lr(step));
            }
        }
    }

    @Test
    void aFloorAboveThePeakRisesLikeThePeers() {
        // torch CosineAnnealingLR(lr=3e-4, T_max=10, eta_min=0.01): eta_min + (lr - eta_min) (1 + cos(pi t / T)) / 2
        Schedule s = Schedule.of(PeerImporter.fromPeer("torch:CosineAnnealingLR",
                Map.of("lr", 3e-4, "T_max", 10, "eta_min", 0.01), null));
        assertThat(s.lr(0)).isEqualTo(3e-4);
        assertThat(s.lr(5)).isCloseTo(0.01 + (3e-4 - 0.01) * 0.5, org.assertj.core.data.Offset.offset(1e-17));
        assertThat(s.lr(10)).isEqualTo(0.01);
        assertThat(ScheduleConfig.fromManifest(s.config().toManifest(), s.config().context())).isEqualTo(s.config());
    }

    @Test
    void fractionalPeriodsHitWholeBoundariesExactlyEvenAtHugeSteps() {
        // horizon 100 in 6 cycles: T_0 = 50/3, S_3 = 50 exactly
        Schedule small = Schedule.of(ScheduleConfig.builder().learningRate(1.0).type(Type.CosineWarmRestarts)
                .horizonSteps(100).maxCycles(6).build());
        assertThat(small.position(50).cycle()).isEqualTo(3);
        assertThat(small.position(50).cycleStep()).isZero();
        assertThat(small.lr(50)).isEqualTo(1.0);
        assertThat(small.position(49).cycle()).isEqualTo(2);
        // horizon 10^12 in 6 cycles: T_0 = 10^12 / 6, S_3 = 5 x 10^11 exactly
        Schedule huge = Schedule.of(ScheduleConfig.builder().learningRate(1.0).type(Type.CosineWarmRestarts)
                .horizonSteps(1e12).maxCycles(6).build());
        assertThat(huge.position(500_000_000_000L).cycle()).isEqualTo(3);
        assertThat(huge.lr(500_000_000_000L)).isEqualTo(1.0);
        assertThat(huge.position(499_999_999_999L).cycle()).isEqualTo(2);
        assertThat(huge.lr(499_999_999_999L)).isPositive().isLessThan(1e-20);
        assertThat(huge.cycleStart(3)).isEqualTo(500_000_000_000L);
        assertThat(huge.endStep()).isEqualTo(1_000_000_000_000L);
    }

    @Test
    void continuedCosinesStayExactFarPastTheirHorizon() {
        // horizon 10.5, Continue: lr = cos^2(pi/2 * k / 10.5) = cos^2(pi * (k mod 21) / 21)
        Schedule frac = Schedule.of(ScheduleConfig.builder().learningRate(1.0).type(Type.Cosine).horizonSteps(10.5)
                .afterHorizon(ScheduleConfig.AfterHorizon.Continue).build());
        // transformers-style num_cycles 1.5 over 100 steps, Continue: cos^2(pi * 1.5 k / 100) = cos^2(pi (3k mod 200) / 200)
        Schedule waves = Schedule.of(ScheduleConfig.builder().learningRate(1.0).type(Type.Cosine).horizonSteps(100)
                .cosineWaves(1.5).afterHorizon(ScheduleConfig.AfterHorizon.Continue).build());
        for (long k = 1_000_000_000_000L; k < 1_000_000_000_000L + 420; k++) {
            double c = Math.cos(Math.PI * (k % 21) / 21.0);
            assertThat(frac.lr(k)).as("step %d", k).isCloseTo(c * c, org.assertj.core.data.Percentage.withPercentage(1e-9));
            double c2 = Math.cos(Math.PI * ((3 * k) % 200) / 200.0);
            if (Math.abs(c2) > 1e-3) {
                assertThat(waves.lr(k)).as("step %d", k).isCloseTo(c2 * c2, org.assertj.core.data.Percentage.withPercentage(1e-9));
            } else {
                assertThat(waves.lr(k)).isCloseTo(c2 * c2, org.assertj.core.data.Offset.offset(1e-17));
            }
        }
    }

    @Test
    void unreachableCyclesAnswerAtOnce() {
        Schedule s = Schedule.of(sgdr(0.1, 100, 1.1).build());
        assertThat(s.cycleStart(1_000_000)).isEqualTo(Long.MAX_VALUE);
        assertThat(s.cycleStart(300)).isPositive().isLessThan(Long.MAX_VALUE);
    }
}
