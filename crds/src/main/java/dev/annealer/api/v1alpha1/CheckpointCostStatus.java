package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Objects;

/** What a checkpoint of this job costs to write, as the trainer measured it (drives CheckpointFitsGracePeriod). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CheckpointCostStatus {

    @JsonPropertyDescription("Size of the newest checkpoint the trainer wrote (bytes, as a quantity).")
    private Quantity size;

    @JsonPropertyDescription("Measured write throughput of that checkpoint, bytes per second.")
    private Long writeBytesPerSecond;

    @JsonPropertyDescription("size / writeBytesPerSecond: how long the SIGTERM checkpoint takes; it must fit in the "
            + "pod's terminationGracePeriodSeconds (see the CheckpointFitsGracePeriod condition).")
    private Double estimatedWriteSeconds;

    public Quantity getSize() {
        return size;
    }

    public void setSize(Quantity size) {
        this.size = size;
    }

    public Long getWriteBytesPerSecond() {
        return writeBytesPerSecond;
    }

    public void setWriteBytesPerSecond(Long writeBytesPerSecond) {
        this.writeBytesPerSecond = writeBytesPerSecond;
    }

    public Double getEstimatedWriteSeconds() {
        return estimatedWriteSeconds;
    }

    public void setEstimatedWriteSeconds(Double estimatedWriteSeconds) {
        this.estimatedWriteSeconds = estimatedWriteSeconds;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof CheckpointCostStatus that)) return false;
        return Objects.equals(size, that.size) && Objects.equals(writeBytesPerSecond, that.writeBytesPerSecond)
                && Objects.equals(estimatedWriteSeconds, that.estimatedWriteSeconds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(size, writeBytesPerSecond, estimatedWriteSeconds);
    }

    @Override
    public String toString() {
        return "CheckpointCostStatus{size=" + size + ", writeBytesPerSecond=" + writeBytesPerSecond
                + ", estimatedWriteSeconds=" + estimatedWriteSeconds + "}";
    }
}
