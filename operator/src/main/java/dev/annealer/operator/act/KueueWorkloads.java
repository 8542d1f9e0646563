package dev.annealer.operator.act;

import dev.annealer.api.v1alpha1.FineTuneJob;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The job's Kueue Workload (kueue.x-k8s.io/v1beta2) and the status changes a Kueue job framework makes to it.
 * {@link #desired} and the status mutators are pure; {@link #create}, {@link #releaseQuota} and {@link #finish}
 * call the API server.
 *
 * <p>The Workload: name {@code finetunejob-<job>-<first 5 characters of the job's uid>}, controller owner reference
 * to the job, {@code spec.queueName} = the job's {@code kueue.x-k8s.io/queue-name} label, one pod set
 * {@value #POD_SET} (count = {@code spec.workers}, one pod per worker) whose template is the trainer pod's spec (Kueue sums its requests against the
 * ClusterQueue's quota), and the priority: the job's {@code kueue.x-k8s.io/priority-class} label
 * (a WorkloadPriorityClass) or else {@code spec.template.priorityClassName} (a PriorityClass), with its value.
 */
public final class KueueWorkloads {

    public static final String API_VERSION = "kueue.x-k8s.io/v1beta2";
    public static final String KIND = "Workload";
    public static final String POD_SET = "trainer";
    /** Job label naming a Kueue WorkloadPriorityClass (Kueue's own convention). */
    public static final String PRIORITY_CLASS_LABEL = "kueue.x-k8s.io/priority-class";
    /** Eviction reasons after which Kueue's own job frameworks set {@code Requeued=True}. */
    private static final Set<String> REQUEUED_REASONS = Set.of("Preempted", "NodeFailures");

    private KueueWorkloads() {
    }

    public static String name(FineTuneJob job) {
        String uid = job.getMetadata().getUid() == null ? "00000" : job.getMetadata().getUid();
        String base = job.getMetadata().getName();
        if (base.length() > 200) {
            base = base.substring(0, 200);
        }
        return "finetunejob-" + base + "-" + uid.substring(0, Math.min(5, uid.length()));
    }

    /** A priority reference: {@code group}, {@code kind}, {@code name}, and the class's value. */
    public record Priority(String group, String kind, String name, int value) {
    }

    /** The Workload to create for {@code job}; {@code trainerPod} is what the first attempt's pod would be. */
    public static GenericKubernetesResource desired(FineTuneJob job, PodSpec trainerPod, Optional<Priority> priority) {
        GenericKubernetesResource w = new GenericKubernetesResource();
        w.setApiVersion(API_VERSION);
        w.setKind(KIND);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(DesiredResources.LABEL_MANAGED_BY, DesiredResources.MANAGED_BY);
        labels.put(DesiredResources.LABEL_JOB, job.getMetadata().getName());
        w.setMetadata(new ObjectMetaBuilder().withName(name(job)).withNamespace(job.getMetadata().getNamespace())
                .withLabels(labels).withOwnerReferences(DesiredResources.ownerReference(job)).build());
        Map<String, Object> template = new LinkedHashMap<>();
        template.put("spec", Serialization.jsonMapper().convertValue(trainerPod, Map.class));
        Map<String, Object> podSet = new LinkedHashMap<>();
        podSet.put("name", POD_SET);
        // one Workload for the whole group: Kueue admits all spec.workers pods (each trainerPod's size) or none
        podSet.put("count", DesiredResources.workers(job.getSpec()));
        podSet.put("template", template);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("queueName", job.getMetadata().getLabels().get(FineTuneJob.KUEUE_QUEUE_LABEL));
        spec.put("podSets", List.of(podSet));
        priority.ifPresent(p -> {
            spec.put("priorityClassRef", Map.of("group", p.group(), "kind", p.kind(), "name", p.name()));
            spec.put("priority", p.value());
        });
        w.getAdditionalProperties().put("spec", spec);
        return w;
    }

    /**
     * What a job framework does once the evicted job no longer runs: {@code status.admission} removed,
     * {@code QuotaReserved=False} (reason Pending), {@code Admitted=False} (NoReservation), {@code Requeued} True
     * after a preemption or node failure (else False). Returns whether anything changed.
     */
    public static boolean clearQuotaReservation(GenericKubernetesResource w, String evictionReason, String message,
            Instant now) {
        Map<String, Object> status = status(w);
        boolean changed = status.remove("admission") != null;
        long gen = w.getMetadata().getGeneration() == null ? 0 : w.getMetadata().getGeneration();
        changed |= setCondition(status, "Requeued", REQUEUED_REASONS.contains(evictionReason), evictionReason, message, now, gen);
        changed |= setCondition(status, "QuotaReserved", false, "Pending", message, now, gen);
        changed |= setCondition(status, "Admitted", false, "NoReservation", "The workload has no reservation", now, gen);
        return changed;
    }

    /** {@code Finished=True} with reason Succeeded or Failed. Returns whether anything changed. */
    public static boolean markFinished(GenericKubernetesResource w, boolean succeeded, String message, Instant now) {
        long gen = w.getMetadata().getGeneration() == null ? 0 : w.getMetadata().getGeneration();
        return setCondition(status(w), "Finished", true, succeeded ? "Succeeded" : "Failed", message, now, gen);
    }

    // --- API calls ---------------------------------------------------------------------------------------------

    public static void create(KubernetesClient c, FineTuneJob job, PodSpec trainerPod) {
        GenericKubernetesResource w = desired(job, trainerPod, priority(c, job));
        try {
            c.genericKubernetesResources(API_VERSION, KIND).inNamespace(job.getMetadata().getNamespace()).resource(w).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e; // 409: it exists (a cache lag); the next reconcile observes it
            }
        }
    }

    public static void releaseQuota(KubernetesClient c, String ns, String name, String reason, String message) {
        updateStatus(c, ns, name, w -> w.getAdditionalProperties().get("status") instanceof Map<?, ?> s
                && s.get("admission") != null && clearQuotaReservation(w, reason, message, Instant.now()));
    }

    public static void finish(KubernetesClient c, String ns, String name, boolean succeeded, String message) {
        updateStatus(c, ns, name, w -> markFinished(w, succeeded, message, Instant.now()));
    }

    private static void updateStatus(KubernetesClient c, String ns, String name,
            java.util.function.Predicate<GenericKubernetesResource> mutate) {
        var ref = c.genericKubernetesResources(API_VERSION, KIND).inNamespace(ns).withName(name);
        GenericKubernetesResource w = ref.get();
        if (w == null || !mutate.test(w)) {
            return;
        }
        try {
            c.genericKubernetesResources(API_VERSION, KIND).inNamespace(ns).resource(w).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e; // 409: Kueue changed it meanwhile; its update triggers the next reconcile, which retries
            }
        }
    }

    /** The job's priority class and value, read from the API server; empty when the job names none. */
    static Optional<Priority> priority(KubernetesClient c, FineTuneJob job) {
        String wpc = job.getMetadata().getLabels() == null ? null : job.getMetadata().getLabels().get(PRIORITY_CLASS_LABEL);
        if (wpc != null) {
            GenericKubernetesResource cls = c.genericKubernetesResources(API_VERSION, "WorkloadPriorityClass")
                    .withName(wpc).get();
            if (cls == null) {
                throw new IllegalStateException("label " + PRIORITY_CLASS_LABEL + "=" + wpc + " names no Kueue "
                        + "WorkloadPriorityClass: create it or fix the label");
            }
            return Optional.of(new Priority("kueue.x-k8s.io", "WorkloadPriorityClass", wpc,
                    ((Number) cls.getAdditionalProperties().get("value")).intValue()));
        }
        String pc = job.getSpec().getTemplate() == null ? null : job.getSpec().getTemplate().getPriorityClassName();
        if (pc != null) {
            var cls = c.scheduling().v1().priorityClasses().withName(pc).get();
            if (cls != null) {
                return Optional.of(new Priority("scheduling.k8s.io", "PriorityClass", pc, cls.getValue()));
            }
        }
        return Optional.empty();
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(GenericKubernetesResource w) {
        return (Map<String, Object>) w.getAdditionalProperties().computeIfAbsent("status", k -> new LinkedHashMap<>());
    }

    @SuppressWarnings("unchecked")
    private static boolean setCondition(Map<String, Object> status, String type, boolean value, String reason,
            String message, Instant now, long generation) {
        List<Map<String, Object>> conditions = status.get("conditions") instanceof List<?> l
                ? new ArrayList<>((List<Map<String, Object>>) l) : new ArrayList<>();
        String st = value ? "True" : "False";
        String msg = message.length() > 32768 ? message.substring(0, 32768) : message;
        Map<String, Object> old = conditions.stream().filter(c -> type.equals(c.get("type"))).findFirst().orElse(null);
        if (old != null && st.equals(old.get("status")) && reason.equals(old.get("reason")) && msg.equals(old.get("message"))) {
            return false;
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type);
        c.put("status", st);
        c.put("reason", reason);
        c.put("message", msg);
        c.put("observedGeneration", generation);
        c.put("lastTransitionTime", old != null && st.equals(old.get("status")) ? old.get("lastTransitionTime")
                : now.truncatedTo(ChronoUnit.SECONDS).toString());
        if (old != null) {
            conditions.set(conditions.indexOf(old), c);
        } else {
            conditions.add(c);
        }
        status.put("conditions", conditions);
        return true;
    }
}
