package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link FineTuneJob}, written by the operator only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FineTuneJobStatus {

    @JsonPropertyDescription("Pending (accepted or not, no trainer running yet, or backing off), Running, Suspended, "
            + "Succeeded or Failed. A summary of the conditions; tools should read the conditions.")
    private Phase phase;

    @JsonPropertyDescription("The metadata.generation this status was computed from.")
    private Long observedGeneration;

    @JsonPropertyDescription("Standard conditions, always all present: Accepted, Running, Suspended, Succeeded, Failed, and the kstatus "
            + "ones Ready (trainer running or succeeded), Reconciling (the generation is still being acted on) and "
            + "Stalled (failed or rejected: needs a change). "
            + "Reasons are CamelCase constants (dev.annealer.api.v1alpha1.Reasons).")
    private List<FineTuneJobCondition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Last optimizer step completed, as reported by the trainer.")
    private Long step;

    @JsonPropertyDescription("Training progress in epochs (fractional), as reported by the trainer.")
    private Double epoch;

    @JsonPropertyDescription("Where the job is on its learning-rate schedule at status.step.")
    private ScheduleStatus schedule;

    @JsonPropertyDescription("Last training loss reported by the trainer.")
    private Double loss;

    @JsonPropertyDescription("Last validation loss reported by the trainer.")
    private Double validationLoss;

    @JsonPropertyDescription("The newest validation metrics (loss, and perplexity, accuracy or macro-F1 by task) and "
            + "the step they were measured at; absent without spec.data.validation or before the first evaluation.")
    private EvaluationStatus evaluation;

    @JsonPropertyDescription("The newest complete checkpoint; a new attempt resumes from it.")
    private CheckpointStatus lastCheckpoint;

    @JsonPropertyDescription("Size and measured write time of the job's checkpoints (set once the trainer wrote one).")
    private CheckpointCostStatus checkpoint;

    @JsonPropertyDescription("Attempts ended by the platform (preemption, eviction, node loss, suspend excluded); "
            + "never counted as failures.")
    private Integer preemptions;

    @JsonPropertyDescription("Attempts that failed (non-zero exit, OOMKilled, image pull, config error).")
    private Integer failures;

    @JsonPropertyDescription("Preemptions in a row after which status.step had not moved past stepAtLastPreemption; "
            + "from 3 on, each next attempt waits a backoff (Running reason PreemptedWithoutProgress).")
    private Integer preemptionsWithoutProgress;

    @JsonPropertyDescription("status.step when the last preemption was counted.")
    private Long stepAtLastPreemption;

    @JsonPropertyDescription("Number of the current (or last) attempt, 1-based; its pod is named <job>-<attempt>.")
    private Integer attempt;

    @JsonPropertyDescription("When the first trainer pod was created (RFC 3339). From then on spec.model, spec.data, "
            + "spec.optimizer and spec.schedule are immutable.")
    private String startTime;

    @JsonPropertyDescription("When the job reached Succeeded or Failed (RFC 3339).")
    private String completionTime;

    @JsonPropertyDescription("Where the trained model is, e.g. pvc://<job>-checkpoints/final (set on success; never for "
            + "an lrRangeTest job, which keeps no model).")
    private String finalModel;

    @JsonPropertyDescription("Termination message of the last trainer container that ended (at most 4 KiB).")
    private String lastTerminationMessage;

    @JsonPropertyDescription("The learning rates a finished training.mode: lrRangeTest job suggests.")
    private LrRangeTestStatus lrRangeTest;

    public Phase getPhase() {
        return phase;
    }

    public void setPhase(Phase phase) {
        this.phase = phase;
    }

    public List<FineTuneJobCondition> getConditions() {
        return conditions;
    }

    public void setConditions(List<FineTuneJobCondition> conditions) {
        this.conditions = conditions;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public Long getStep() {
        return step;
    }

    public void setStep(Long step) {
        this.step = step;
    }

    public Double getEpoch() {
        return epoch;
    }

    public void setEpoch(Double epoch) {
        this.epoch = epoch;
    }

    public ScheduleStatus getSchedule() {
        return schedule;
    }

    public void setSchedule(ScheduleStatus schedule) {
        this.schedule = schedule;
    }

    public Double getLoss() {
        return loss;
    }

    public void setLoss(Double loss) {
        this.loss = loss;
    }

    public Double getValidationLoss() {
        return validationLoss;
    }

    public void setValidationLoss(Double validationLoss) {
        this.validationLoss = validationLoss;
    }

    public CheckpointCostStatus getCheckpoint() {
        return checkpoint;
    }

    public void setCheckpoint(CheckpointCostStatus checkpoint) {
        this.checkpoint = checkpoint;
    }

    public CheckpointStatus getLastCheckpoint() {
        return lastCheckpoint;
    }

    public void setLastCheckpoint(CheckpointStatus lastCheckpoint) {
        this.lastCheckpoint = lastCheckpoint;
    }

    public Integer getPreemptionsWithoutProgress() {
        return preemptionsWithoutProgress;
    }

    public void setPreemptionsWithoutProgress(Integer preemptionsWithoutProgress) {
        this.preemptionsWithoutProgress = preemptionsWithoutProgress;
    }

    public Long getStepAtLastPreemption() {
        return stepAtLastPreemption;
    }

    public void setStepAtLastPreemption(Long stepAtLastPreemption) {
        this.stepAtLastPreemption = stepAtLastPreemption;
    }

    public Integer getPreemptions() {
        return preemptions;
    }

    public void setPreemptions(Integer preemptions) {
        this.preemptions = preemptions;
    }

    public Integer getFailures() {
        return failures;
    }

    public void setFailures(Integer failures) {
        this.failures = failures;
    }

    public Integer getAttempt() {
        return attempt;
    }

    public void setAttempt(Integer attempt) {
        this.attempt = attempt;
    }

    public String getStartTime() {
        return startTime;
    }

    public void setStartTime(String startTime) {
        this.startTime = startTime;
    }

    public String getCompletionTime() {
        return completionTime;
    }

    public void setCompletionTime(String completionTime) {
        this.completionTime = completionTime;
    }

    public String getFinalModel() {
        return finalModel;
    }

    public void setFinalModel(String finalModel) {
        this.finalModel = finalModel;
    }

    public String getLastTerminationMessage() {
        return lastTerminationMessage;
    }

    public void setLastTerminationMessage(String lastTerminationMessage) {
        this.lastTerminationMessage = lastTerminationMessage;
    }

    public EvaluationStatus getEvaluation() {
        return evaluation;
    }

    public void setEvaluation(EvaluationStatus evaluation) {
        this.evaluation = evaluation;
    }

    public LrRangeTestStatus getLrRangeTest() {
        return lrRangeTest;
    }

    public void setLrRangeTest(LrRangeTestStatus lrRangeTest) {
        this.lrRangeTest = lrRangeTest;
    }

    @JsonPropertyDescription("Short pre-formatted copies for kubectl get ftj (LR, LOSS and REASON columns); derived from "
            + "the fields above.")
    private StatusDisplay display;

    public StatusDisplay getDisplay() {
        return display;
    }

    /** Derived from the other fields, so not part of equals: a status that differs only here is the same status. */
    public void setDisplay(StatusDisplay display) {
        this.display = display;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof FineTuneJobStatus that)) return false;
        return Objects.equals(phase, that.phase) && Objects.equals(observedGeneration, that.observedGeneration) && Objects.equals(conditions, that.conditions) && Objects.equals(step, that.step) && Objects.equals(epoch, that.epoch) && Objects.equals(schedule, that.schedule) && Objects.equals(loss, that.loss) && Objects.equals(validationLoss, that.validationLoss) && Objects.equals(evaluation, that.evaluation) && Objects.equals(lastCheckpoint, that.lastCheckpoint) && Objects.equals(checkpoint, that.checkpoint) && Objects.equals(preemptions, that.preemptions) && Objects.equals(failures, that.failures) && Objects.equals(preemptionsWithoutProgress, that.preemptionsWithoutProgress) && Objects.equals(stepAtLastPreemption, that.stepAtLastPreemption) && Objects.equals(attempt, that.attempt) && Objects.equals(startTime, that.startTime) && Objects.equals(completionTime, that.completionTime) && Objects.equals(finalModel, that.finalModel) && Objects.equals(lastTerminationMessage, that.lastTerminationMessage) && Objects.equals(lrRangeTest, that.lrRangeTest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(phase, observedGeneration, conditions, step, epoch, schedule, loss, validationLoss, evaluation, lastCheckpoint, checkpoint, preemptions, failures, preemptionsWithoutProgress, stepAtLastPreemption, attempt, startTime, completionTime, finalModel, lastTerminationMessage, lrRangeTest);
    }

    @Override
    public String toString() {
        return "FineTuneJobStatus{" + "phase=" + phase + ", " + "observedGeneration=" + observedGeneration + ", " + "step=" + step + ", " + "epoch=" + epoch + ", " + "schedule=" + schedule + ", " + "loss=" + loss + ", " + "validationLoss=" + validationLoss + ", " + "evaluation=" + evaluation + ", " + "lastCheckpoint=" + lastCheckpoint + ", " + "checkpoint=" + checkpoint + ", " + "preemptions=" + preemptions + ", " + "failures=" + failures + ", " + "attempt=" + attempt + ", " + "startTime=" + startTime + ", " + "completionTime=" + completionTime + ", " + "finalModel=" + finalModel + ", " + "lastTerminationMessage=" + lastTerminationMessage + ", " + "lrRangeTest=" + lrRangeTest + "}";
    }
}
