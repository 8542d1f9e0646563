package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Objects;

/** Compute of one trainer pod. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResourcesSpec {

    @JsonPropertyDescription("GPUs per trainer pod, requested as the nvidia.com/gpu limit (>= 0). 0: train on CPU.")
    @Default("0")
    @ValidationRule(value = "self >= 0", message = "spec.resources.gpus must be >= 0 (0 trains on CPU)")
    private Integer gpus;

    @JsonPropertyDescription("CPU request of the trainer container, a Kubernetes quantity (e.g. \"8\" or 500m). "
            + "Absent: no request.")
    @ValidationRule(value = Sources.QUANTITY_RULE,
            message = "spec.resources.cpu must be a Kubernetes quantity such as 8, 500m or 32Gi")
    private Quantity cpu;

    @JsonPropertyDescription("Memory request (and limit) of the trainer container, a Kubernetes quantity (e.g. 32Gi). "
            + "Absent: no request.")
    @ValidationRule(value = Sources.QUANTITY_RULE,
            message = "spec.resources.memory must be a Kubernetes quantity such as 8, 500m or 32Gi")
    private Quantity memory;

    @JsonPropertyDescription("With gpus > 0: what the trainer does when it sees fewer usable GPUs than requested "
            + "(no driver, CUDA_VISIBLE_DEVICES empty, a CPU-only image). false (default): the attempt fails at once "
            + "with reason NoGPU, counted against failurePolicy.maxFailures, so a broken node never runs a job 50x "
            + "slower on CPU unnoticed. true: log a warning and train on CPU.")
    @Default("false")
    private Boolean allowCpuFallback;

    public Integer getGpus() {
        return gpus;
    }

    public void setGpus(Integer gpus) {
        this.gpus = gpus;
    }

    public Quantity getCpu() {
        return cpu;
    }

    public void setCpu(Quantity cpu) {
        this.cpu = cpu;
    }

    public Boolean getAllowCpuFallback() {
        return allowCpuFallback;
    }

    public void setAllowCpuFallback(Boolean allowCpuFallback) {
        this.allowCpuFallback = allowCpuFallback;
    }

    public Quantity getMemory() {
        return memory;
    }

    public void setMemory(Quantity memory) {
        this.memory = memory;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ResourcesSpec that)) return false;
        return Objects.equals(gpus, that.gpus) && Objects.equals(cpu, that.cpu) && Objects.equals(memory, that.memory)
                && Objects.equals(allowCpuFallback, that.allowCpuFallback);
    }

    @Override
    public int hashCode() {
        return Objects.hash(gpus, cpu, memory, allowCpuFallback);
    }

    @Override
    public String toString() {
        return "ResourcesSpec{" + "gpus=" + gpus + ", " + "cpu=" + cpu + ", " + "memory=" + memory + ", allowCpuFallback=" + allowCpuFallback + "}";
    }
}
