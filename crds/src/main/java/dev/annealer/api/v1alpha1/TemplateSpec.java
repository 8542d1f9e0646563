package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.annealer.api.v1alpha1.schema.AffinitySchema;
import dev.annealer.api.v1alpha1.schema.TolerationSchema;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Pod-level settings of the trainer pods. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TemplateSpec {

    @JsonPropertyDescription("Trainer container image. Absent: the operator's default for the job's "
            + "resources.gpus: annealer-trainer:<operator version> (CPU libtorch) for 0, its CUDA flavour "
            + "annealer-trainer:<operator version>-cu124 for more (Helm values trainer.image, trainer.gpuImage).")
    @Size(max = 1024)
    private String image;

    @JsonPropertyDescription("PriorityClass of the trainer pods; lower priorities are preempted first, which "
            + "Annealer survives by checkpointing on SIGTERM.")
    @Size(max = 253)
    private String priorityClassName;

    @JsonPropertyDescription("Node labels the trainer pods must match, e.g. {nvidia.com/gpu.product: H100}.")
    private Map<String, String> nodeSelector;

    @JsonPropertyDescription("Tolerations of the trainer pods, e.g. for tainted GPU nodes.")
    @SchemaFrom(type = TolerationSchema[].class)
    private List<Toleration> tolerations;

    @JsonPropertyDescription("Affinity rules of the trainer pods.")
    @SchemaFrom(type = AffinitySchema.class)
    private Affinity affinity;

    @JsonPropertyDescription("Seconds between SIGTERM and SIGKILL when a trainer pod is stopped (preemption, suspend); "
            + "the trainer writes a checkpoint in that time. >= 10.")
    @Default("120")
    @ValidationRule(value = "self >= 10", message = "spec.template.terminationGracePeriodSeconds must be >= 10: "
            + "the trainer needs time to write its checkpoint on SIGTERM")
    private Long terminationGracePeriodSeconds;

    @JsonPropertyDescription("Extra labels of the trainer pods. kueue.x-k8s.io/* labels are never put on trainer pods: "
            + "Kueue queues the job (label kueue.x-k8s.io/queue-name on the FineTuneJob) as one Workload.")
    private Map<String, String> labels;

    @JsonPropertyDescription("Extra annotations of the trainer pods.")
    private Map<String, String> annotations;

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public String getPriorityClassName() {
        return priorityClassName;
    }

    public void setPriorityClassName(String priorityClassName) {
        this.priorityClassName = priorityClassName;
    }

    public Map<String, String> getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(Map<String, String> nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public List<Toleration> getTolerations() {
        return tolerations;
    }

    public void setTolerations(List<Toleration> tolerations) {
        this.tolerations = tolerations;
    }

    public Affinity getAffinity() {
        return affinity;
    }

    public void setAffinity(Affinity affinity) {
        this.affinity = affinity;
    }

    public Long getTerminationGracePeriodSeconds() {
        return terminationGracePeriodSeconds;
    }

    public void setTerminationGracePeriodSeconds(Long terminationGracePeriodSeconds) {
        this.terminationGracePeriodSeconds = terminationGracePeriodSeconds;
    }

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    public Map<String, String> getAnnotations() {
        return annotations;
    }

    public void setAnnotations(Map<String, String> annotations) {
        this.annotations = annotations;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof TemplateSpec that)) return false;
        return Objects.equals(image, that.image) && Objects.equals(priorityClassName, that.priorityClassName) && Objects.equals(nodeSelector, that.nodeSelector) && Objects.equals(tolerations, that.tolerations) && Objects.equals(affinity, that.affinity) && Objects.equals(terminationGracePeriodSeconds, that.terminationGracePeriodSeconds) && Objects.equals(labels, that.labels) && Objects.equals(annotations, that.annotations);
    }

    @Override
    public int hashCode() {
        return Objects.hash(image, priorityClassName, nodeSelector, tolerations, affinity, terminationGracePeriodSeconds, labels, annotations);
    }

    @Override
    public String toString() {
        return "TemplateSpec{" + "image=" + image + ", " + "priorityClassName=" + priorityClassName + ", " + "nodeSelector=" + nodeSelector + ", " + "tolerations=" + tolerations + ", " + "affinity=" + affinity + ", " + "terminationGracePeriodSeconds=" + terminationGracePeriodSeconds + ", " + "labels=" + labels + ", " + "annotations=" + annotations + "}";
    }
}
