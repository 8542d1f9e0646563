package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/** A standard Kubernetes condition (metav1.Condition shape). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FineTuneJobCondition {

    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    @JsonPropertyDescription("Condition type: Accepted, Running, Suspended, Succeeded, Failed, Ready, Reconciling or Stalled.")
    @Required
    private String type;

    @JsonPropertyDescription("True, False or Unknown.")
    @Required
    private String status;

    @JsonPropertyDescription("Machine-readable CamelCase reason (see dev.annealer.api.v1alpha1.Reasons).")
    private String reason;

    @JsonPropertyDescription("Human-readable details: what happened, the field and value involved, and the fix.")
    private String message;

    @JsonPropertyDescription("When status last changed (RFC 3339).")
    private String lastTransitionTime;

    @JsonPropertyDescription("metadata.generation the condition was computed from.")
    private Long observedGeneration;

    public FineTuneJobCondition() {
    }

    public FineTuneJobCondition(String type, String status, String reason, String message, String lastTransitionTime,
            Long observedGeneration) {
        this.type = type;
        this.status = status;
        this.reason = reason;
        this.message = message;
        this.lastTransitionTime = lastTransitionTime;
        this.observedGeneration = observedGeneration;
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public String getLastTransitionTime() {
        return lastTransitionTime;
    }

    public void setLastTransitionTime(String lastTransitionTime) {
        this.lastTransitionTime = lastTransitionTime;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof FineTuneJobCondition that)) return false;
        return Objects.equals(type, that.type) && Objects.equals(status, that.status) && Objects.equals(reason, that.reason) && Objects.equals(message, that.message) && Objects.equals(lastTransitionTime, that.lastTransitionTime) && Objects.equals(observedGeneration, that.observedGeneration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, status, reason, message, lastTransitionTime, observedGeneration);
    }

    @Override
    public String toString() {
        return "FineTuneJobCondition{" + "type=" + type + ", " + "status=" + status + ", " + "reason=" + reason + ", " + "message=" + message + ", " + "lastTransitionTime=" + lastTransitionTime + ", " + "observedGeneration=" + observedGeneration + "}";
    }
}
