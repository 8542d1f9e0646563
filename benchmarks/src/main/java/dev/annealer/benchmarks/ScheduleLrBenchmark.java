package dev.annealer.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleConfig;

/**
 * lr(step) of the closed-form engine vs a naive cycle walk, at step 10^3 and 10^12.
 *
 * <p>Configurations (peak 3e-4, floor 1e-6):
 * <ul>
 *   <li>{@code m2}: period 1000 steps, multiplier 2 (whole: exact long arithmetic; 29 cycles before 10^12);</li>
 *   <li>{@code m1.5}: period 30 steps, multiplier 1.5 (real: double-double path; 58 cycles before 10^12);</li>
 *   <li>{@code m1}: period 1000 steps, multiplier 1: the naive walk needs 10^9 iterations per call at 10^12
 *       (about a second), so keep the measurement time short; it still terminates.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ScheduleLrBenchmark {

    @Param({"m2", "m1.5", "m1"})
    public String config;

    @Param({"1000", "1000000000000"})
    public long step;

    private Schedule schedule;
    private NaiveSgdr naive;

    @Setup
    public void setup() {
        double period = "m1.5".equals(config) ? 30 : 1000;
        double m = switch (config) {
            case "m2" -> 2.0;
            case "m1.5" -> 1.5;
            default -> 1.0;
        };
        schedule = Schedule.of(ScheduleConfig.builder().learningRate(3e-4).minLearningRate(1e-6)
                .type(ScheduleConfig.Type.CosineWarmRestarts).periodSteps(period).periodMultiplier(m).build());
        naive = new NaiveSgdr(3e-4, 1e-6, period, m);
    }

    @Benchmark
    public double closedForm() {
        return schedule.lr(step);
    }

    @Benchmark
    public double naiveCycleWalk() {
        return naive.lr(step);
    }
}
