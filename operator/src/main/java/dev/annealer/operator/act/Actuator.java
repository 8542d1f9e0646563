package dev.annealer.operator.act;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.decide.Action;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.javaoperatorsdk.operator.api.reconciler.Context;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * Carries out {@code decide()}'s actions, in order. Creates and applies go through JOSDK's
 * {@code resourceOperations()} so the informer caches see our own writes at once (read-after-write).
 * Production uses server-side apply (field manager {@value #FIELD_MANAGER}); the mock-server tests use plain
 * create/update because the fabric8 mock server answers 415 to apply patches.
 */
public class Actuator {

    public static final String FIELD_MANAGER = "annealer-operator";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final TrainerSettings trainer;
    private final boolean serverSideApply;

    public Actuator(TrainerSettings trainer, boolean serverSideApply) {
        this.trainer = trainer;
        this.serverSideApply = serverSideApply;
    }

    public void apply(FineTuneJob job, List<Action> actions, Context<FineTuneJob> ctx) {
        for (Action a : actions) {
            if (a instanceof Action.ApplySpecConfigMap) {
                upsert(ctx, DesiredResources.specConfigMap(job));
            } else if (a instanceof Action.CreateCheckpointPvc) {
                createOrApply(ctx, DesiredResources.checkpointPvc(job));
            } else if (a instanceof Action.CreateProgressSecret) {
                createIfAbsent(ctx, DesiredResources.progressSecret(job, newToken()));
            } else if (a instanceof Action.CreatePod c) {
                var pod = DesiredResources.pod(job, c.attempt(), trainer);
                if (!c.nodeSelector().isEmpty()) {
                    // the flavors Kueue admitted the job with decide where it runs
                    var selector = new java.util.LinkedHashMap<String, String>();
                    if (pod.getSpec().getNodeSelector() != null) {
                        selector.putAll(pod.getSpec().getNodeSelector());
                    }
                    selector.putAll(c.nodeSelector());
                    pod.getSpec().setNodeSelector(selector);
                }
                createOrApply(ctx, pod);
            } else if (a instanceof Action.CreateWorkload) {
                KueueWorkloads.create(ctx.getClient(), job, DesiredResources.pod(job, 1, trainer).getSpec());
            } else if (a instanceof Action.ReleaseWorkloadQuota r) {
                KueueWorkloads.releaseQuota(ctx.getClient(), job.getMetadata().getNamespace(), r.name(),
                        r.evictionReason(), r.message());
            } else if (a instanceof Action.FinishWorkload f) {
                KueueWorkloads.finish(ctx.getClient(), job.getMetadata().getNamespace(), f.name(), f.succeeded(),
                        f.message());
            } else if (a instanceof Action.DeletePod d) {
                ctx.getClient().pods().inNamespace(job.getMetadata().getNamespace()).withName(d.name())
                        .withGracePeriod(d.graceSeconds()).delete();
            } else if (a instanceof Action.ReleaseCheckpointPvc) {
                release(job, ctx);
            } else if (a instanceof Action.DeleteJob) {
                ctx.getClient().resource(job).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
            }
        }
    }

    private void upsert(Context<FineTuneJob> ctx, HasMetadata desired) {
        if (serverSideApply) {
            ctx.resourceOperations().serverSideApply(desired);
            return;
        }
        HasMetadata existing = ctx.getClient().resource(desired).get();
        if (existing == null) {
            ctx.resourceOperations().create(desired);
        } else {
            desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            ctx.resourceOperations().update(desired);
        }
    }

    private void createOrApply(Context<FineTuneJob> ctx, HasMetadata desired) {
        if (serverSideApply) {
            ctx.resourceOperations().serverSideApply(desired);
        } else {
            createIfAbsent(ctx, desired);
        }
    }

    private static void createIfAbsent(Context<FineTuneJob> ctx, HasMetadata desired) {
        try {
            ctx.resourceOperations().create(desired);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e; // 409: it exists already (a cache lag); the next reconcile observes it
            }
        }
    }

    private static void release(FineTuneJob job, Context<FineTuneJob> ctx) {
        String uid = job.getMetadata().getUid();
        ctx.getClient().persistentVolumeClaims().inNamespace(job.getMetadata().getNamespace())
                .withName(DesiredResources.pvcName(job)).edit(p -> {
                    p.getMetadata().getOwnerReferences().removeIf(o -> uid.equals(o.getUid()));
                    return p;
                });
    }

    /** 32 random bytes, URL-safe base64: the progress channel's bearer token and HMAC key. */
    static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

}
