package dev.annealer.operator.observe;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.operator.act.DesiredResources;
import dev.annealer.operator.decide.Conditions;
import dev.annealer.operator.progress.ProgressPoller;
import dev.annealer.operator.progress.ProgressTokens;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.Set;

/**
 * Builds the {@link Observation} of a job from the informer caches (plus one live GET when the pod of a live
 * attempt is missing from the cache, so a cache lag is never mistaken for a deletion) and, for a running trainer,
 * the latest progress report the {@link ProgressPoller} accepted (fetched off this thread). Reads only.
 */
public class Observer {

    private static final Logger LOG = Logger.getLogger(Observer.class);
    private static final Set<String> LIVE = Set.of(Reasons.POD_PENDING, Reasons.POD_RUNNING);

    private final ProgressPoller progress;
    private final int progressPort;
    private final ProgressTokens tokens;

    public Observer(ProgressPoller progress, int progressPort, ProgressTokens tokens) {
        this.progress = progress;
        this.progressPort = progressPort;
        this.tokens = tokens;
    }

    private volatile boolean kueueServed;

    /** Whether the cluster serves Kueue's Workload API (checked once at start-up, when the event sources are made). */
    public void kueueServed(boolean served) {
        this.kueueServed = served;
    }

    public Observation observe(FineTuneJob job, Context<FineTuneJob> ctx) {
        Observation obs = observeOwned(job, ctx);
        boolean queued = job.getMetadata().getLabels() != null
                && job.getMetadata().getLabels().containsKey(FineTuneJob.KUEUE_QUEUE_LABEL);
        if (!kueueServed || !queued) {
            return obs;
        }
        String workloadName = dev.annealer.operator.act.KueueWorkloads.name(job);
        boolean live = job.getStatus() != null && Conditions.reason(job.getStatus().getConditions(),
                ConditionTypes.RUNNING).map(LIVE::contains).orElse(false);
        Optional<WorkloadSnapshot> w = ctx.getSecondaryResourcesAsStream(io.fabric8.kubernetes.api.model.GenericKubernetesResource.class)
                .filter(r -> workloadName.equals(r.getMetadata().getName())).findFirst()
                // why: flavors matter only for the pod about to be created, so a live attempt costs no GETs
                .map(r -> WorkloadSnapshots.of(r, live ? f -> java.util.Map.of() : f -> KueueSupport.flavorNodeLabels(ctx.getClient(), f)));
        return obs.withKueue(w);
    }

    private Observation observeOwned(FineTuneJob job, Context<FineTuneJob> ctx) {
        String ns = job.getMetadata().getNamespace();
        Optional<ConfigMap> cm = named(ctx, ConfigMap.class, DesiredResources.specConfigMapName(job));
        Optional<PersistentVolumeClaim> pvc = named(ctx, PersistentVolumeClaim.class, DesiredResources.pvcName(job));
        String uid = job.getMetadata().getUid();
        boolean pvcOwned = pvc.map(p -> p.getMetadata().getOwnerReferences() != null && p.getMetadata().getOwnerReferences()
                .stream().anyMatch(o -> uid != null && uid.equals(o.getUid()))).orElse(false);
        Observation obs = Observation.empty().withOwnedResources(
                cm.map(c -> c.getMetadata().getAnnotations() == null ? "" : c.getMetadata().getAnnotations()
                        .getOrDefault(DesiredResources.ANNOTATION_SPEC_VERSION, "")).orElse(null),
                // why: no Secret is read or watched in job namespaces; "exists" = this process created (or found) it
                pvc.isPresent(), pvcOwned, tokens.secretEnsured(uid));

        int attempt = job.getStatus() == null || job.getStatus().getAttempt() == null ? 0 : job.getStatus().getAttempt();
        ResourceID id = ResourceID.fromResource(job);
        if (attempt <= 0) {
            progress.forget(id);
            return obs;
        }
        String podName = DesiredResources.podName(job.getMetadata().getName(), attempt);
        obs = obs.withOtherPods(otherPods(job, podName, ctx.getSecondaryResources(Pod.class)));
        // the informer maps a pod to its owner by name, so a same-named earlier job's pod could show up here too
        Optional<Pod> pod = named(ctx, Pod.class, podName).filter(p -> controlledBy(p, uid));
        boolean live = Conditions.reason(job.getStatus().getConditions(), ConditionTypes.RUNNING).map(LIVE::contains)
                .orElse(false);
        if (pod.isEmpty() && live) {
            // the cache may lag behind our own create: ask the API server before calling the pod gone
            // only our pod: a pod of that name left by an earlier job with the same name is not this attempt's
            pod = Optional.ofNullable(ctx.getClient().pods().inNamespace(ns).withName(podName).get())
                    .filter(p -> controlledBy(p, uid));
        }
        if (pod.isEmpty()) {
            progress.forget(id);
            return obs;
        }
        PodSnapshot snapshot = PodSnapshots.of(pod.get());
        obs = obs.withPod(snapshot);
        boolean running = "Running".equals(snapshot.phase()) && snapshot.podIp() != null && !snapshot.isDeleting();
        if (live && running) {
            Optional<dev.annealer.operator.progress.ProgressReport> report = progress.poll(id,
                    new ProgressPoller.Target(uid, attempt, snapshot.podIp(), progressPort, tokens.tokenFor(uid)));
            if (report.isPresent()) {
                obs = obs.withProgress(report.get());
            } else {
                LOG.tracef("no progress from %s/%s yet", ns, podName);
            }
        } else {
            progress.forget(id);
        }
        return obs;
    }

    /**
     * The gang's view ({@code WorkerGroup}) for {@code spec.workers > 1}: every pod of {@code cached} the job controls
     * except {@code rank0} (the current attempt's rank 0); nothing for one worker.
     */
    static java.util.List<PodSnapshot> otherPods(FineTuneJob job, String rank0, java.util.Collection<Pod> cached) {
        if (DesiredResources.workers(job.getSpec()) <= 1) {
            return java.util.List.of();
        }
        String uid = job.getMetadata().getUid();
        return cached.stream().filter(p -> !rank0.equals(p.getMetadata().getName()) && controlledBy(p, uid))
                .map(PodSnapshots::of).toList();
    }

    /** Whether the pod's controller owner reference names the job with this UID. */
    static boolean controlledBy(Pod pod, String uid) {
        return uid != null && pod.getMetadata().getOwnerReferences() != null && pod.getMetadata().getOwnerReferences()
                .stream().anyMatch(o -> Boolean.TRUE.equals(o.getController()) && uid.equals(o.getUid()));
    }

    private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> Optional<R> named(Context<FineTuneJob> ctx,
            Class<R> type, String name) {
        return ctx.getSecondaryResources(type).stream().filter(r -> name.equals(r.getMetadata().getName())).findFirst();
    }
}
