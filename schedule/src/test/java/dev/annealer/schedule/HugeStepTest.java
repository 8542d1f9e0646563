package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** lr(step) against the exact {@link ReferenceSchedule} at steps up to and beyond 10^12, around cycle boundaries. */
class HugeStepTest {

    record Case(String name, double peak, double min, double periodSteps, BigDecimal exactPeriod, double m,
                double decay, long maxCycles, long warmup) {
        ScheduleConfig config() {
            ScheduleConfig.Builder b = ScheduleConfig.builder().learningRate(peak).type(ScheduleConfig.Type.CosineWarmRestarts)
                    .minLearningRate(min).periodMultiplier(m).peakDecay(decay);
            if (Double.isNaN(periodSteps)) {
                // period given as horizon / maxCycles (exact fraction)
                b.horizon(ScheduleConfig.Duration.steps(exactPeriod.multiply(BigDecimal.valueOf(maxCycles)).doubleValue()))
                        .maxCycles(maxCycles);
            } else {
                b.periodSteps(periodSteps);
                if (maxCycles > 0) {
                    b.maxCycles(maxCycles);
                }
            }
            if (warmup > 0) {
                b.warmupSteps(warmup, 0.0);
            }
            return b.build();
        }

        ReferenceSchedule reference() {
            BigDecimal p = exactPeriod != null ? exactPeriod : new BigDecimal(periodSteps);
            return new ReferenceSchedule(peak, min, p, m, decay, maxCycles > 0 ? maxCycles : -1, warmup, 0.0);
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("T0=1000 m=2 min=0", 0.1, 0.0, 1000, null, 2, 1, 0, 0),
                new Case("T0=1000 m=2 min=1e-6 decay=0.9", 3e-4, 1e-6, 1000, null, 2, 0.9, 0, 500),
                new Case("T0=7 m=1 min=0", 1.0, 0.0, 7, null, 1, 1, 0, 0),
                new Case("T0=30 m=1.5 min=0", 0.1, 0.0, 30, null, 1.5, 1, 0, 0),
                new Case("T0=32 m=1.5 min=1e-5", 0.1, 1e-5, 32, null, 1.5, 1, 0, 10),
                new Case("T0=100 m=1.1 min=0", 0.05, 0.0, 100, null, 1.1, 1, 0, 0),
                new Case("T0=67.5 m=3 min=0", 0.02, 0.0, 67.5, null, 3, 1, 0, 0),
                new Case("T0=1e12/3 m=1 (horizon 1e12, 3 cycles) min=0", 0.1, 0.0, Double.NaN,
                        new BigDecimal(1_000_000_000_000L).divide(BigDecimal.valueOf(3), ReferenceSchedule.MC), 1, 1, 3, 0),
                new Case("T0=3e11 m=1 min=0", 0.1, 0.0, 3e11, null, 1, 1, 0, 0))
                .map(c -> Arguments.of(c.name(), c));
    }

    /** Steps around every cycle boundary between 1e11 and 1.2e12, plus random steps up to 2e12. */
    static List<Long> probeSteps(Schedule s) {
        List<Long> steps = new ArrayList<>(List.of(0L, 1L, 999_999_999_999L, 1_000_000_000_000L, 1_000_000_000_001L));
        for (long c = 0; c < 10_000; c++) {
            long start = s.cycleStart(c);
            if (start < 0 || start > 1_200_000_000_000L) {
                break;
            }
            if (start > 100_000_000_000L || c < 3) {
                for (long d = -2; d <= 2; d++) {
                    steps.add(start + d);
                }
            }
        }
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 200; i++) {
            steps.add(r.nextLong(2_000_000_000_000L));
        }
        return steps;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheExactReferenceAtHugeSteps(String name, Case c) {
        Schedule s = Schedule.of(c.config());
        ReferenceSchedule ref = c.reference();
        double worst = 0;
        long worstStep = -1;
        for (long step : probeSteps(s)) {
            if (step < 0) {
                continue;
            }
            double ours = s.lr(step);
            BigDecimal exact = ref.lr(step);
            double e = ReferenceSchedule.relativeError(ours, exact);
            assertThat(e).as("%s at step %d: ours %s, exact %s", name, step, ours, exact.toString())
                    .isLessThanOrEqualTo(1e-12);
            if (e > worst) {
                worst = e;
                worstStep = step;
            }
        }
        System.out.printf("[huge] %-48s max rel error vs exact reference = %.3e (step %d)%n", name, worst, worstStep);
    }
}
