package dev.annealer.operator.observe;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.act.KueueWorkloads;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the operator meets the cluster's Kueue: whether its Workload API is served (checked once at start-up: a
 * Kueue installed later needs an operator restart), the informer over the Workloads the operator owns, and the node
 * labels of a ResourceFlavor.
 */
public final class KueueSupport {

    private static final Logger LOG = Logger.getLogger(KueueSupport.class);

    private KueueSupport() {
    }

    public static boolean served(KubernetesClient c) {
        try {
            boolean served = c.supports(KueueWorkloads.API_VERSION, KueueWorkloads.KIND);
            LOG.infof("Kueue's Workload API (%s) is %s: jobs labelled kueue.x-k8s.io/queue-name %s", KueueWorkloads.API_VERSION,
                    served ? "served" : "not served", served ? "are queued as one Workload each"
                            : "start without queueing (install Kueue and restart the operator to queue them)");
            return served;
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot tell whether Kueue is installed (%s): jobs start without queueing", e.getMessage());
            return false;
        }
    }

    /** Workloads carrying the operator's managed-by label, mapped to their controller FineTuneJob. */
    public static InformerEventSource<GenericKubernetesResource, FineTuneJob> workloads(
            EventSourceContext<FineTuneJob> context, String ownedSelector) {
        String[] gv = KueueWorkloads.API_VERSION.split("/");
        return new InformerEventSource<>(InformerEventSourceConfiguration
                .from(new GroupVersionKind(gv[0], gv[1], KueueWorkloads.KIND), FineTuneJob.class)
                .withName("workload")
                .withLabelSelector(ownedSelector)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(FineTuneJob.class))
                .build(), context);
    }

    /** {@code spec.nodeLabels} of ResourceFlavor {@code name} (empty when it has none or is gone). */
    @SuppressWarnings("unchecked")
    public static Map<String, String> flavorNodeLabels(KubernetesClient c, String name) {
        GenericKubernetesResource f = c.genericKubernetesResources(KueueWorkloads.API_VERSION, "ResourceFlavor")
                .withName(name).get();
        if (f == null || !(f.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec)
                || !(spec.get("nodeLabels") instanceof Map<?, ?> labels)) {
            return Map.of();
        }
        return new LinkedHashMap<>((Map<String, String>) labels);
    }
}
