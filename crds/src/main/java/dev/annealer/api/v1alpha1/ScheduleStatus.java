package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A position on the schedule (the engine's {@code SchedulePosition}) plus the schedule's fingerprint. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ScheduleStatus {

    @JsonPropertyDescription("Current cycle, 0-based (warmup counts as cycle 0).")
    private Long cycle;

    @JsonPropertyDescription("Steps since the start of the current cycle (T_cur).")
    private Long cycleStep;

    @JsonPropertyDescription("Length of the current cycle in steps (T_i).")
    private Long cycleLength;

    @JsonPropertyDescription("Learning rate in effect at status.step.")
    private Double learningRate;

    @JsonPropertyDescription("Peak learning rate of the current cycle (learningRate x peakDecay^cycle).")
    private Double cyclePeak;

    @JsonPropertyDescription("WARMUP, ANNEALING, or HOLD (after maxCycles, at minLearningRate).")
    private String phase;

    @JsonPropertyDescription("sha256:<hex> digest of the schedule's canonical form; checkpoints record it, and a resume "
            + "under a different one follows spec.checkpoint.onScheduleChange.")
    private String fingerprint;

    public Long getCycle() {
        return cycle;
    }

    public void setCycle(Long cycle) {
        this.cycle = cycle;
    }

    public Long getCycleStep() {
        return cycleStep;
    }

    public void setCycleStep(Long cycleStep) {
        this.cycleStep = cycleStep;
    }

    public Long getCycleLength() {
        return cycleLength;
    }

    public void setCycleLength(Long cycleLength) {
        this.cycleLength = cycleLength;
    }

    public Double getLearningRate() {
        return learningRate;
    }

    public void setLearningRate(Double learningRate) {
        this.learningRate = learningRate;
    }

    public Double getCyclePeak() {
        return cyclePeak;
    }

    public void setCyclePeak(Double cyclePeak) {
        this.cyclePeak = cyclePeak;
    }

    public String getPhase() {
        return phase;
    }

    public void setPhase(String phase) {
        this.phase = phase;
    }

    public String getFingerprint() {
        return fingerprint;
    }

    public void setFingerprint(String fingerprint) {
        this.fingerprint = fingerprint;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ScheduleStatus that)) return false;
        return Objects.equals(cycle, that.cycle) && Objects.equals(cycleStep, that.cycleStep) && Objects.equals(cycleLength, that.cycleLength) && Objects.equals(learningRate, that.learningRate) && Objects.equals(cyclePeak, that.cyclePeak) && Objects.equals(phase, that.phase) && Objects.equals(fingerprint, that.fingerprint);
    }

    @Override
    public int hashCode() {
        return Objects.hash(cycle, cycleStep, cycleLength, learningRate, cyclePeak, phase, fingerprint);
    }

    @Override
    public String toString() {
        return "ScheduleStatus{" + "cycle=" + cycle + ", " + "cycleStep=" + cycleStep + ", " + "cycleLength=" + cycleLength + ", " + "learningRate=" + learningRate + ", " + "cyclePeak=" + cyclePeak + ", " + "phase=" + phase + ", " + "fingerprint=" + fingerprint + "}";
    }
}
