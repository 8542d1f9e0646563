package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/**
 * Checkpoint cadence, retention and storage. A checkpoint is also always taken on SIGTERM (preemption, suspend) and at
 * the end of training, whatever the cadence.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CheckpointSpec {

    public static final long MIN_EVERY_SECONDS = 30;

    @JsonPropertyDescription("Checkpoint every this many optimizer steps (>= 1, <= training.maxSteps). "
            + "Absent: only by time (everySeconds), on SIGTERM and at the end.")
    @Min(1)
    private Long everySteps;

    @JsonPropertyDescription("Checkpoint when this many seconds have passed since the last one (>= 30: more often "
            + "would spend the run writing checkpoints). Absent: 600 unless everySteps is set.")
    @ValidationRule(value = "self >= 30", message = "spec.checkpoint.everySeconds must be >= 30: "
            + "more frequent checkpoints spend the run on I/O; preemptions are covered by the checkpoint on SIGTERM")
    private Long everySeconds;

    @JsonPropertyDescription("Number of most recent checkpoints kept (>= 1); older ones are deleted "
            + "(cycle snapshots excepted).")
    @Default("3")
    @ValidationRule(value = "self >= 1", message = "spec.checkpoint.keepLast must be >= 1: a resume needs a checkpoint")
    private Integer keepLast;

    @JsonPropertyDescription("Also keep the checkpoint taken at the end of each schedule cycle, where the learning rate "
            + "is at its minimum (a snapshot ensemble, Huang et al. 2017). They do not count against keepLast.")
    @Default("false")
    private Boolean keepCycleSnapshots;

    @JsonPropertyDescription("The PersistentVolumeClaim <job>-checkpoints that the operator creates for checkpoints "
            + "and the final model.")
    private StorageSpec storage;

    @JsonPropertyDescription("What happens to the checkpoint PVC when the FineTuneJob is deleted (also by "
            + "ttlSecondsAfterFinished): Retain keeps it (the final model lives there), Delete removes it "
            + "with the job.")
    @Default("Retain")
    private ReclaimPolicy reclaimPolicy;

    @JsonPropertyDescription("What a resumed attempt does when its checkpoint was written under a different schedule "
            + "(schedule fingerprints differ, e.g. training.maxSteps changed a schedule whose horizon is the rest of "
            + "training, or the job was re-created over a retained PVC). Refuse: the attempt fails with reason "
            + "ScheduleChanged and nothing is rescaled silently. Continue: resume the weights, optimizer state and step "
            + "counter and follow the new schedule from that step (the learning rate may jump); the change is "
            + "recorded in an event and a condition message.")
    @Default("Refuse")
    private OnScheduleChange onScheduleChange;

    public Long getEverySteps() {
        return everySteps;
    }

    public void setEverySteps(Long everySteps) {
        this.everySteps = everySteps;
    }

    public Long getEverySeconds() {
        return everySeconds;
    }

    public void setEverySeconds(Long everySeconds) {
        this.everySeconds = everySeconds;
    }

    public Integer getKeepLast() {
        return keepLast;
    }

    public void setKeepLast(Integer keepLast) {
        this.keepLast = keepLast;
    }

    public Boolean getKeepCycleSnapshots() {
        return keepCycleSnapshots;
    }

    public void setKeepCycleSnapshots(Boolean keepCycleSnapshots) {
        this.keepCycleSnapshots = keepCycleSnapshots;
    }

    public StorageSpec getStorage() {
        return storage;
    }

    public void setStorage(StorageSpec storage) {
        this.storage = storage;
    }

    public ReclaimPolicy getReclaimPolicy() {
        return reclaimPolicy;
    }

    public void setReclaimPolicy(ReclaimPolicy reclaimPolicy) {
        this.reclaimPolicy = reclaimPolicy;
    }

    public OnScheduleChange getOnScheduleChange() {
        return onScheduleChange;
    }

    public void setOnScheduleChange(OnScheduleChange onScheduleChange) {
        this.onScheduleChange = onScheduleChange;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof CheckpointSpec that)) return false;
        return Objects.equals(everySteps, that.everySteps) && Objects.equals(everySeconds, that.everySeconds) && Objects.equals(keepLast, that.keepLast) && Objects.equals(keepCycleSnapshots, that.keepCycleSnapshots) && Objects.equals(storage, that.storage) && Objects.equals(reclaimPolicy, that.reclaimPolicy) && Objects.equals(onScheduleChange, that.onScheduleChange);
    }

    @Override
    public int hashCode() {
        return Objects.hash(everySteps, everySeconds, keepLast, keepCycleSnapshots, storage, reclaimPolicy, onScheduleChange);
    }

    @Override
    public String toString() {
        return "CheckpointSpec{" + "everySteps=" + everySteps + ", " + "everySeconds=" + everySeconds + ", " + "keepLast=" + keepLast + ", " + "keepCycleSnapshots=" + keepCycleSnapshots + ", " + "storage=" + storage + ", " + "reclaimPolicy=" + reclaimPolicy + ", " + "onScheduleChange=" + onScheduleChange + "}";
    }
}
