package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A reference to a complete checkpoint on the job's checkpoint PVC. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CheckpointStatus {

    @JsonPropertyDescription("Optimizer step the checkpoint was taken after.")
    private Long step;

    @JsonPropertyDescription("When it was written (RFC 3339).")
    private String time;

    @JsonPropertyDescription("sha256:<hex> digest of the checkpoint's manifest.json.")
    private String digest;

    @JsonPropertyDescription("Directory name under the checkpoint directory, step-<12-digit step>.")
    private String name;

    public Long getStep() {
        return step;
    }

    public void setStep(Long step) {
        this.step = step;
    }

    public String getTime() {
        return time;
    }

    public void setTime(String time) {
        this.time = time;
    }

    public String getDigest() {
        return digest;
    }

    public void setDigest(String digest) {
        this.digest = digest;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof CheckpointStatus that)) return false;
        return Objects.equals(step, that.step) && Objects.equals(time, that.time) && Objects.equals(digest, that.digest) && Objects.equals(name, that.name);
    }

    @Override
    public int hashCode() {
        return Objects.hash(step, time, digest, name);
    }

    @Override
    public String toString() {
        return "CheckpointStatus{" + "step=" + step + ", " + "time=" + time + ", " + "digest=" + digest + ", " + "name=" + name + "}";
    }
}
