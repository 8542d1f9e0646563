package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** Desired state of a {@link FineTuneJob}. Cross-field rules that span sections are CEL rules on this class. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.schedule) || !has(self.schedule.minLearningRate) "
        + "|| self.optimizer.learningRate > self.schedule.minLearningRate",
        message = "spec.schedule.minLearningRate must be < spec.optimizer.learningRate: "
                + "the schedule anneals from learningRate (the peak) down to minLearningRate")
@ValidationRule(value = "!has(self.schedule) || !has(self.schedule.warmup) || !has(self.schedule.warmup.steps) "
        + "|| !has(self.training.maxSteps) || self.schedule.warmup.steps < self.training.maxSteps",
        message = "spec.schedule.warmup.steps must be < spec.training.maxSteps: the warmup must end before training does")
@ValidationRule(value = "!has(self.schedule) || !has(self.schedule.warmup) || !has(self.schedule.warmup.epochs) "
        + "|| !has(self.training.epochs) || self.schedule.warmup.epochs < double(self.training.epochs)",
        message = "spec.schedule.warmup.epochs must be < spec.training.epochs: the warmup must end before training does")
@ValidationRule(value = "!has(self.checkpoint) || !has(self.checkpoint.everySteps) || !has(self.training.maxSteps) "
        + "|| self.checkpoint.everySteps <= self.training.maxSteps",
        message = "spec.checkpoint.everySteps must be <= spec.training.maxSteps: "
                + "otherwise no checkpoint is taken before the end and a preemption loses all progress")
@ValidationRule(value = "!has(self.schedule) || !has(self.schedule.restartOnPlateau) || has(self.training.evalEverySteps)",
        message = "spec.training.evalEverySteps must be set when spec.schedule.restartOnPlateau is: "
                + "plateaus are detected on validation losses")
@ValidationRule(value = "!has(self.schedule) || !has(self.schedule.restartOnPlateau) || has(self.data.validation)",
        message = "spec.data.validation must be set when spec.schedule.restartOnPlateau is: "
                + "plateaus are detected on validation losses")
@ValidationRule(value = "(has(self.model.format) && self.model.format == 'huggingface') "
        + "|| !(has(self.data.text) || has(self.data.prompt) || has(self.data.maxLength) "
        + "|| (has(self.data.task) && self.data.task == 'causalLM'))",
        message = "spec.data.text, prompt, completion, maxLength and task causalLM need spec.model.format: huggingface "
                + "(the other formats read float columns: spec.data.features and spec.data.label)")
@ValidationRule(value = "!has(self.model.format) || self.model.format != 'huggingface' || has(self.data.text) "
        + "|| has(self.data.prompt)",
        message = "spec.model.format huggingface trains on text: set spec.data.text (or spec.data.prompt + "
                + "spec.data.completion with task causalLM)")
@ValidationRule(value = "!has(self.workers) || self.workers == 1 || !has(self.training.batchSize) "
        + "|| self.training.batchSize % self.workers == 0",
        message = "spec.training.batchSize must be a multiple of spec.workers: it is the global batch, and each worker "
                + "reads batchSize/workers of its records")
@ValidationRule(value = "!has(self.workers) || self.workers == 1 "
        + "|| (has(self.model.format) && self.model.format == 'huggingface')",
        message = "spec.workers > 1 needs spec.model.format: huggingface (data-parallel training runs on the tensor "
                + "training path); train builtin/torchscript/djl models with one worker")
@ValidationRule(value = "!has(self.workers) || self.workers == 1 || !has(self.training.mode) "
        + "|| self.training.mode != 'lrRangeTest'",
        message = "spec.workers must be 1 for spec.training.mode: lrRangeTest (a range test runs on one worker)")
public class FineTuneJobSpec {

    @JsonPropertyDescription("Stop the job without losing it. true: the trainer checkpoints gracefully, its pod is removed, "
            + "and everything else (checkpoints, status) is kept; status.phase becomes Suspended. "
            + "false again: a new attempt resumes from the last checkpoint. Only users set it: Kueue never does; a job "
            + "labelled kueue.x-k8s.io/queue-name is queued as one Kueue Workload that the operator owns, and "
            + "Kueue's eviction stops the trainer the same graceful way (counted as a preemption).")
    @Default("false")
    private Boolean suspend;

    @JsonPropertyDescription("The model to fine-tune: where it is, its format, and which parameters train.")
    @Required
    private ModelSpec model;

    @JsonPropertyDescription("Training and validation data: files, format, columns and task.")
    @Required
    private DataSpec data;

    @JsonPropertyDescription("The training budget (maxSteps or epochs), batch size, evaluation cadence, seed and mode.")
    @Required
    private TrainingSpec training;

    @JsonPropertyDescription("The optimizer and its hyper-parameters; optimizer.learningRate is the schedule's peak.")
    @Required
    private OptimizerSpec optimizer;

    @JsonPropertyDescription("The learning-rate schedule, as a pure function of the optimizer step. "
            + "It is validated at admission, fingerprinted into every checkpoint, and shown in status.schedule. "
            + "Absent: a constant learning rate.")
    private ScheduleSpec schedule;

    @JsonPropertyDescription("When checkpoints are taken, how many are kept, and the storage that holds them.")
    private CheckpointSpec checkpoint;

    @JsonPropertyDescription("Compute per trainer pod: GPUs, CPU and memory.")
    private ResourcesSpec resources;

    @JsonPropertyDescription("Data-parallel workers (one process per GPU, or per CPU worker), each with "
            + "spec.resources. Every worker holds the whole model, reads batchSize/workers records of every global "
            + "batch, and the gradients are averaged (PyTorch c10d: NCCL on GPUs, Gloo on CPU) before one identical "
            + "update at the schedule's learning rate. The preemption of any worker preempts the whole attempt. "
            + "See docs/multi-gpu.md.")
    @Default("1")
    @Min(1)
    private Integer workers;

    @JsonPropertyDescription("Pod-level settings of the trainer pod: image, priority, placement, grace period, labels.")
    private TemplateSpec template;

    @JsonPropertyDescription("How many genuine failures (and preemptions) the job survives, and the backoff between attempts. "
            + "Preemptions never count as failures.")
    private FailurePolicySpec failurePolicy;

    @JsonPropertyDescription("Seconds after the job finished (Succeeded or Failed) when the operator deletes it. "
            + "Absent: never. The checkpoint PVC then follows spec.checkpoint.reclaimPolicy. At most 2147483647 (int32, "
            + "as for a Kubernetes Job).")
    @Min(0)
    @Max(2147483647)
    private Long ttlSecondsAfterFinished;

    public Boolean getSuspend() {
        return suspend;
    }

    public void setSuspend(Boolean suspend) {
        this.suspend = suspend;
    }

    public ModelSpec getModel() {
        return model;
    }

    public void setModel(ModelSpec model) {
        this.model = model;
    }

    public DataSpec getData() {
        return data;
    }

    public void setData(DataSpec data) {
        this.data = data;
    }

    public TrainingSpec getTraining() {
        return training;
    }

    public void setTraining(TrainingSpec training) {
        this.training = training;
    }

    public OptimizerSpec getOptimizer() {
        return optimizer;
    }

    public void setOptimizer(OptimizerSpec optimizer) {
        this.optimizer = optimizer;
    }

    public ScheduleSpec getSchedule() {
        return schedule;
    }

    public void setSchedule(ScheduleSpec schedule) {
        this.schedule = schedule;
    }

    public CheckpointSpec getCheckpoint() {
        return checkpoint;
    }

    public void setCheckpoint(CheckpointSpec checkpoint) {
        this.checkpoint = checkpoint;
    }

    public ResourcesSpec getResources() {
        return resources;
    }

    public void setResources(ResourcesSpec resources) {
        this.resources = resources;
    }

    public TemplateSpec getTemplate() {
        return template;
    }

    public void setTemplate(TemplateSpec template) {
        this.template = template;
    }

    public FailurePolicySpec getFailurePolicy() {
        return failurePolicy;
    }

    public void setFailurePolicy(FailurePolicySpec failurePolicy) {
        this.failurePolicy = failurePolicy;
    }

    public Integer getWorkers() {
        return workers;
    }

    public void setWorkers(Integer workers) {
        this.workers = workers;
    }

    public Long getTtlSecondsAfterFinished() {
        return ttlSecondsAfterFinished;
    }

    public void setTtlSecondsAfterFinished(Long ttlSecondsAfterFinished) {
        this.ttlSecondsAfterFinished = ttlSecondsAfterFinished;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof FineTuneJobSpec that)) return false;
        return Objects.equals(suspend, that.suspend) && Objects.equals(model, that.model) && Objects.equals(data, that.data) && Objects.equals(training, that.training) && Objects.equals(optimizer, that.optimizer) && Objects.equals(schedule, that.schedule) && Objects.equals(checkpoint, that.checkpoint) && Objects.equals(resources, that.resources) && Objects.equals(workers, that.workers) && Objects.equals(template, that.template) && Objects.equals(failurePolicy, that.failurePolicy) && Objects.equals(ttlSecondsAfterFinished, that.ttlSecondsAfterFinished);
    }

    @Override
    public int hashCode() {
        return Objects.hash(suspend, model, data, training, optimizer, schedule, checkpoint, resources, workers, template, failurePolicy, ttlSecondsAfterFinished);
    }

    @Override
    public String toString() {
        return "FineTuneJobSpec{" + "suspend=" + suspend + ", " + "model=" + model + ", " + "data=" + data + ", " + "training=" + training + ", " + "optimizer=" + optimizer + ", " + "schedule=" + schedule + ", " + "checkpoint=" + checkpoint + ", " + "resources=" + resources + ", " + "workers=" + workers + ", " + "template=" + template + ", " + "failurePolicy=" + failurePolicy + ", " + "ttlSecondsAfterFinished=" + ttlSecondsAfterFinished + "}";
    }
}
