package dev.annealer.api.v1alpha1.schema;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;

/**
 * CRD schema of a core/v1 Affinity: its three parts are described, their contents are passed through to the pod
 * unchanged (and validated by the API server when the pod is created). Used only through {@code @SchemaFrom}; the
 * Java model keeps {@link io.fabric8.kubernetes.api.model.Affinity}.
 */
public class AffinitySchema {

    @JsonPropertyDescription("core/v1 NodeAffinity: node selection rules, e.g. "
            + "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms (kubectl explain pod.spec.affinity.nodeAffinity).")
    @PreserveUnknownFields
    public Object nodeAffinity;

    @JsonPropertyDescription("core/v1 PodAffinity: co-locate with pods matching a selector (kubectl explain pod.spec.affinity.podAffinity).")
    @PreserveUnknownFields
    public Object podAffinity;

    @JsonPropertyDescription("core/v1 PodAntiAffinity: keep away from pods matching a selector "
            + "(kubectl explain pod.spec.affinity.podAntiAffinity).")
    @PreserveUnknownFields
    public Object podAntiAffinity;
}
