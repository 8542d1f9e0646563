package dev.annealer.operator.observe;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** Reads a Kueue Workload (kueue.x-k8s.io/v1beta2, as a generic resource) into a {@link WorkloadSnapshot}. */
public final class WorkloadSnapshots {

    private WorkloadSnapshots() {
    }

    /**
     * @param flavorNodeLabels the {@code spec.nodeLabels} of a ResourceFlavor by name (empty map when it has none);
     *                         asked only for an admitted Workload
     */
    public static WorkloadSnapshot of(GenericKubernetesResource w, Function<String, Map<String, String>> flavorNodeLabels) {
        Map<String, Object> status = map(w.getAdditionalProperties().get("status"));
        List<Map<String, Object>> conditions = list(status.get("conditions"));
        boolean quotaReserved = isTrue(conditions, "QuotaReserved");
        boolean admitted = isTrue(conditions, "Admitted");
        Optional<WorkloadSnapshot.Condition> evicted = find(conditions, "Evicted").filter(c -> "True".equals(c.get("status")))
                .map(WorkloadSnapshots::condition);
        Optional<WorkloadSnapshot.Condition> pending = find(conditions, "QuotaReserved")
                .filter(c -> "False".equals(c.get("status"))).map(WorkloadSnapshots::condition)
                .or(() -> find(conditions, "Admitted").filter(c -> "False".equals(c.get("status")))
                        .map(WorkloadSnapshots::condition));
        Map<String, Object> admission = map(status.get("admission"));
        Optional<String> clusterQueue = Optional.ofNullable((String) admission.get("clusterQueue"));
        Map<String, String> nodeSelector = new LinkedHashMap<>();
        if (admitted && evicted.isEmpty()) {
            for (Map<String, Object> psa : list(admission.get("podSetAssignments"))) {
                for (Object flavor : map(psa.get("flavors")).values()) {
                    nodeSelector.putAll(flavorNodeLabels.apply(String.valueOf(flavor)));
                }
            }
        }
        return new WorkloadSnapshot(w.getMetadata().getName(), quotaReserved, admitted, evicted,
                isTrue(conditions, "Finished"), pending, clusterQueue, nodeSelector);
    }

    private static WorkloadSnapshot.Condition condition(Map<String, Object> c) {
        return new WorkloadSnapshot.Condition(String.valueOf(c.getOrDefault("reason", "")),
                String.valueOf(c.getOrDefault("message", "")));
    }

    private static boolean isTrue(List<Map<String, Object>> conditions, String type) {
        return find(conditions, type).map(c -> "True".equals(c.get("status"))).orElse(false);
    }

    private static Optional<Map<String, Object>> find(List<Map<String, Object>> conditions, String type) {
        return conditions.stream().filter(c -> type.equals(c.get("type"))).findFirst();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object o) {
        return o instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }
}
