package dev.annealer.api.v1alpha1.schema;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * CRD schema of a core/v1 Toleration with descriptions (fabric8's model classes carry none). Used only through
 * {@code @SchemaFrom}; the Java model keeps {@link io.fabric8.kubernetes.api.model.Toleration}.
 */
public class TolerationSchema {

    @JsonPropertyDescription("Taint key the toleration applies to; empty with operator Exists matches all keys.")
    public String key;

    @JsonPropertyDescription("Exists (any value) or Equal (the value must match; the default).")
    public String operator;

    @JsonPropertyDescription("Taint value to match when operator is Equal.")
    public String value;

    @JsonPropertyDescription("Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.")
    public String effect;

    @JsonPropertyDescription("NoExecute only: seconds the pod stays bound after the taint appears; absent: forever.")
    public Long tolerationSeconds;
}
