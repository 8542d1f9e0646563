package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** The training budget and loop settings. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.maxSteps) != has(self.epochs)",
        message = "spec.training must set exactly one of maxSteps and epochs: it is the budget the schedule is fitted to")
public class TrainingSpec {

    @JsonPropertyDescription("Training budget in optimizer steps (one step = gradientAccumulation micro-batches). "
            + "Exactly one of maxSteps and epochs.")
    @Min(1)
    private Long maxSteps;

    @JsonPropertyDescription("Training budget in passes over the training data; the trainer converts it to steps "
            + "(epochs x ceil(records / (batchSize x gradientAccumulation))). Exactly one of maxSteps and epochs.")
    @Min(1)
    private Integer epochs;

    @JsonPropertyDescription("Records per micro-batch over all workers (the global micro-batch): each of spec.workers "
            + "workers reads batchSize/workers of them, so the result does not depend on the number of workers.")
    @Default("32")
    @Min(1)
    private Integer batchSize;

    @JsonPropertyDescription("Micro-batches whose gradients are summed before one optimizer step; "
            + "effective batch = batchSize x gradientAccumulation (whatever spec.workers is). The schedule counts optimizer steps.")
    @Default("1")
    @Min(1)
    private Integer gradientAccumulation;

    @JsonPropertyDescription("Evaluate on data.validation every this many optimizer steps (and at the end). "
            + "Absent: only at the end of training.")
    @Min(1)
    private Long evalEverySteps;

    @JsonPropertyDescription("Seed of the initialization and of the batch order; with the same seed, data and spec, "
            + "a run (also one resumed from a checkpoint) is reproducible.")
    @Default("0")
    private Long seed;

    @JsonPropertyDescription("train: fine-tune with the schedule. lrRangeTest: a learning-rate range test; the learning "
            + "rate rises geometrically from lrRangeTest.startLearningRate to lrRangeTest.endLearningRate over the budget "
            + "and the loss at each learning rate is recorded, to help choose optimizer.learningRate; "
            + "the schedule is then only validated, not used.")
    @Default("train")
    private TrainingMode mode;

    @JsonPropertyDescription("Range of the learning-rate range test (mode: lrRangeTest only).")
    private LrRangeTestSpec lrRangeTest;

    public Long getMaxSteps() {
        return maxSteps;
    }

    public void setMaxSteps(Long maxSteps) {
        this.maxSteps = maxSteps;
    }

    public Integer getEpochs() {
        return epochs;
    }

    public void setEpochs(Integer epochs) {
        this.epochs = epochs;
    }

    public Integer getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(Integer batchSize) {
        this.batchSize = batchSize;
    }

    public Integer getGradientAccumulation() {
        return gradientAccumulation;
    }

    public void setGradientAccumulation(Integer gradientAccumulation) {
        this.gradientAccumulation = gradientAccumulation;
    }

    public Long getEvalEverySteps() {
        return evalEverySteps;
    }

    public void setEvalEverySteps(Long evalEverySteps) {
        this.evalEverySteps = evalEverySteps;
    }

    public Long getSeed() {
        return seed;
    }

    public void setSeed(Long seed) {
        this.seed = seed;
    }

    public TrainingMode getMode() {
        return mode;
    }

    public void setMode(TrainingMode mode) {
        this.mode = mode;
    }

    public LrRangeTestSpec getLrRangeTest() {
        return lrRangeTest;
    }

    public void setLrRangeTest(LrRangeTestSpec lrRangeTest) {
        this.lrRangeTest = lrRangeTest;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof TrainingSpec that)) return false;
        return Objects.equals(maxSteps, that.maxSteps) && Objects.equals(epochs, that.epochs) && Objects.equals(batchSize, that.batchSize) && Objects.equals(gradientAccumulation, that.gradientAccumulation) && Objects.equals(evalEverySteps, that.evalEverySteps) && Objects.equals(seed, that.seed) && Objects.equals(mode, that.mode) && Objects.equals(lrRangeTest, that.lrRangeTest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxSteps, epochs, batchSize, gradientAccumulation, evalEverySteps, seed, mode, lrRangeTest);
    }

    @Override
    public String toString() {
        return "TrainingSpec{" + "maxSteps=" + maxSteps + ", " + "epochs=" + epochs + ", " + "batchSize=" + batchSize + ", " + "gradientAccumulation=" + gradientAccumulation + ", " + "evalEverySteps=" + evalEverySteps + ", " + "seed=" + seed + ", " + "mode=" + mode + ", " + "lrRangeTest=" + lrRangeTest + "}";
    }
}
