package dev.annealer.operator.observe;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.operator.act.DesiredResources;
import dev.annealer.operator.decide.Conditions;
import dev.annealer.operator.progress.ProgressClient;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the {@link Observation} of a job from the informer caches (plus one live GET when the pod of a live
 * attempt is missing from the cache, so a cache lag is never mistaken for a deletion) and, for a running trainer,
 * one authenticated progress fetch. Reads only.
 */
public class Observer {

    private static final Logger LOG = Logger.getLogger(Observer.class);
    private static final Set<String> LIVE = Set.of(Reasons.POD_PENDING, Reasons.POD_RUNNING);

    private final ProgressClient progress;
    private final int progressPort;

    public Observer(ProgressClient progress, int progressPort) {
        this.progress = progress;
        this.progressPort = progressPort;
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
        Optional<Secret> secret = named(ctx, Secret.class, DesiredResources.secretName(job));
        String uid = job.getMetadata().getUid();
        boolean pvcOwned = pvc.map(p -> p.getMetadata().getOwnerReferences() != null && p.getMetadata().getOwnerReferences()
                .stream().anyMatch(o -> uid != null && uid.equals(o.getUid()))).orElse(false);
        Observation obs = Observation.empty().withOwnedResources(
                cm.map(c -> c.getMetadata().getAnnotations() == null ? "" : c.getMetadata().getAnnotations()
                        .getOrDefault(DesiredResources.ANNOTATION_SPEC_VERSION, "")).orElse(null),
                pvc.isPresent(), pvcOwned, secret.isPresent());

        int attempt = job.getStatus() == null || job.getStatus().getAttempt() == null ? 0 : job.getStatus().getAttempt();
        if (attempt <= 0) {
            return obs;
        }
        String podName = DesiredResources.podName(job.getMetadata().getName(), attempt);
        Optional<Pod> pod = named(ctx, Pod.class, podName);
        boolean live = Conditions.reason(job.getStatus().getConditions(), ConditionTypes.RUNNING).map(LIVE::contains)
                .orElse(false);
        if (pod.isEmpty() && live) {
            // the cache may lag behind our own create: ask the API server before calling the pod gone
            pod = Optional.ofNullable(ctx.getClient().pods().inNamespace(ns).withName(podName).get());
        }
        if (pod.isEmpty()) {
            return obs;
        }
        PodSnapshot snapshot = PodSnapshots.of(pod.get());
        obs = obs.withPod(snapshot);
        boolean running = "Running".equals(snapshot.phase()) && snapshot.podIp() != null && !snapshot.isDeleting();
        Optional<String> token = secret.flatMap(Observer::token);
        if (live && running && token.isPresent()) {
            ProgressClient.Result r = progress.fetch(snapshot.podIp(), progressPort, token.get());
            if (r.report().isPresent()) {
                obs = obs.withProgress(r.report().get());
            } else {
                LOG.debugf("no progress from %s/%s: %s", ns, podName, r.problem());
            }
        }
        return obs;
    }

    static Optional<String> token(Secret s) {
        if (s.getData() != null && s.getData().get(DesiredResources.TOKEN_KEY) != null) {
            return Optional.of(new String(Base64.getDecoder().decode(s.getData().get(DesiredResources.TOKEN_KEY)),
                    StandardCharsets.UTF_8));
        }
        if (s.getStringData() != null) {
            return Optional.ofNullable(s.getStringData().get(DesiredResources.TOKEN_KEY));
        }
        return Optional.empty();
    }

    private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> Optional<R> named(Context<FineTuneJob> ctx,
            Class<R> type, String name) {
        return ctx.getSecondaryResources(type).stream().filter(r -> name.equals(r.getMetadata().getName())).findFirst();
    }
}
