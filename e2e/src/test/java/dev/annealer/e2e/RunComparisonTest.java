package dev.annealer.e2e;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RunComparisonTest {

    private static final String HEX_A = "a".repeat(64);
    private static final String HEX_B = "b".repeat(64);

    private static String step(long s, String lr) {
        return "2026-11-28T18:00:00Z event=step step=" + s + " epoch=0.4 cycle=0 cycleStep=1 cycleLength=100 lr=" + lr
                + " loss=0.5 examplesPerSecond=100 etaSeconds=1\n";
    }

    private static final TrainerLog REFERENCE = TrainerLog.parse(step(50, "0.001") + step(100, "0.002")
            + step(150, "0.0015") + "done step=150 paramsSha256=" + HEX_A + "\n");

    @Test
    void parsesStepsResumePreemptionAndTheDoneLine() {
        TrainerLog log = TrainerLog.parse("x event=resume checkpoint=step-000000000073 step=73 paramsSha256=ff\n"
                + step(100, "2.5E-4") + "x event=preempted signal=TERM step=120 checkpoint=step-000000000120 "
                + "secondsSinceSignal=0.1\n" + "done step=150 paramsSha256=" + HEX_B + "\n");
        assertThat(log.resumedAt()).hasValue(73);
        assertThat(log.preemptedAt()).hasValue(120);
        assertThat(log.steps()).singleElement().satisfies(s -> {
            assertThat(s.step()).isEqualTo(100);
            assertThat(s.learningRate()).isEqualTo("2.5E-4");
            assertThat(s.lr()).isEqualTo(2.5e-4);
            assertThat(s.loss()).isEqualTo(0.5);
        });
        assertThat(log.paramsSha256()).hasValue(HEX_B);
        assertThat(TrainerLog.field("succeeded: step=1 checkpoint=c paramsSha256=" + HEX_A + " loss=1", "paramsSha256"))
                .hasValue(HEX_A);
        assertThat(TrainerLog.field("nothing", "paramsSha256")).isEmpty();
    }

    @Test
    void twoAttemptsThatCoverTheCurveExactlyAreContinuous() {
        TrainerLog a1 = TrainerLog.parse(step(50, "0.001") + step(100, "0.002"));
        TrainerLog a2 = TrainerLog.parse(step(150, "0.0015"));
        RunComparison.Result r = RunComparison.compare(List.of(a1, a2), HEX_A, REFERENCE);
        assertThat(r.lrContinuous()).isTrue();
        assertThat(r.paramsMatch()).isTrue();
        assertThat(r.stepsCompared()).isEqualTo(3);
        assertThat(r.differences()).isEmpty();
    }

    @Test
    void aDifferentLearningRateAGapOrOtherParametersAreCaught() {
        TrainerLog a1 = TrainerLog.parse(step(50, "0.001"));
        TrainerLog shifted = TrainerLog.parse(step(150, "0.0015000000000000002"));
        RunComparison.Result r = RunComparison.compare(List.of(a1, shifted), HEX_B, REFERENCE);
        assertThat(r.lrContinuous()).isFalse();
        assertThat(r.paramsMatch()).isFalse();
        assertThat(r.differences()).anyMatch(d -> d.startsWith("step 150: lr 0.0015000000000000002"))
                .anyMatch(d -> d.equals("step 100 logged by the uninterrupted run but by no attempt"))
                .anyMatch(d -> d.startsWith("paramsSha256 " + HEX_B));
    }

    @Test
    void aRedoneStepMustHaveTheSameRateAndNoRunIsNotContinuous() {
        TrainerLog a1 = TrainerLog.parse(step(50, "0.001") + step(100, "0.002"));
        TrainerLog a2 = TrainerLog.parse(step(100, "0.003") + step(150, "0.0015"));
        assertThat(RunComparison.compare(List.of(a1, a2), HEX_A, REFERENCE).differences())
                .anyMatch(d -> d.contains("logged twice with different learning rates"));
        assertThat(RunComparison.compare(List.of(), null, TrainerLog.parse("")).lrContinuous()).isFalse();
    }
}
