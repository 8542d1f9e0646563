package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Objects;

/** Storage of the checkpoint PersistentVolumeClaim. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StorageSpec {

    @JsonPropertyDescription("Requested size of the checkpoint PVC, a Kubernetes quantity (e.g. 20Gi). Absent: 1Gi.")
    @ValidationRule(value = Sources.QUANTITY_RULE,
            message = "spec.checkpoint.storage.size must be a Kubernetes quantity such as 8, 500m or 32Gi")
    private Quantity size;

    @JsonPropertyDescription("StorageClass of the checkpoint PVC. Absent: the cluster's default StorageClass.")
    @Size(max = 253)
    private String storageClassName;

    public Quantity getSize() {
        return size;
    }

    public void setSize(Quantity size) {
        this.size = size;
    }

    public String getStorageClassName() {
        return storageClassName;
    }

    public void setStorageClassName(String storageClassName) {
        this.storageClassName = storageClassName;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof StorageSpec that)) return false;
        return Objects.equals(size, that.size) && Objects.equals(storageClassName, that.storageClassName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(size, storageClassName);
    }

    @Override
    public String toString() {
        return "StorageSpec{" + "size=" + size + ", " + "storageClassName=" + storageClassName + "}";
    }
}
