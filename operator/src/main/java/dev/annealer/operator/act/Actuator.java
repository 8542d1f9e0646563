package dev.annealer.operator.act;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.decide.Action;
import dev.annealer.operator.decide.PodCreateRejection;
import io.fabric8.kubernetes.api.model.Pod;
import dev.annealer.operator.progress.ProgressTokens;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.javaoperatorsdk.operator.api.reconciler.Context;

import java.util.List;
import java.util.Optional;

/**
 * Carries out {@code decide()}'s actions, in order. Creates and applies go through JOSDK's
 * {@code resourceOperations()} so the informer caches see our own writes at once (read-after-write).
 * Production uses server-side apply (field manager {@value #FIELD_MANAGER}); the mock-server tests use plain
 * create/update because the fabric8 mock server answers 415 to apply patches.
 */
public class Actuator {

    public static final String FIELD_MANAGER = "annealer-operator";

    private final TrainerSettings trainer;
    private final boolean serverSideApply;
    private final ProgressTokens tokens;

    public Actuator(TrainerSettings trainer, boolean serverSideApply, ProgressTokens tokens) {
        this.trainer = trainer;
        this.serverSideApply = serverSideApply;
        this.tokens = tokens;
    }

    /**
     * Carries out the actions in order. Returns the API server's refusal of a trainer pod (quota, Pod Security,
     * invalid pod) instead of throwing, so the reconciler can say so in status; the actions after it are not run.
     */
    public Optional<PodCreateRejection.Rejected> apply(FineTuneJob job, List<Action> actions, Context<FineTuneJob> ctx) {
        boolean secretCreated = false;
        for (Action a : actions) {
            if (a instanceof Action.CreatePod || a instanceof Action.CreateWorkerPod) {
                if (!secretCreated) {
                    // why: Secrets are not watched, so one deleted since this process created it would go unseen
                    createProgressSecret(job, ctx);
                    secretCreated = true;
                }
                Pod pod;
                java.util.Map<String, String> nodeSelector;
                if (a instanceof Action.CreatePod c) {
                    pod = DesiredResources.pod(job, c.attempt(), trainer);
                    nodeSelector = c.nodeSelector();
                } else {
                    Action.CreateWorkerPod w = (Action.CreateWorkerPod) a;
                    pod = DesiredResources.workerPod(job, w.attempt(), w.rank(), w.masterAddr(), trainer);
                    // the workers go where rank 0 was sent (the node labels of the flavors Kueue admitted the job with)
                    String rank0 = DesiredResources.podName(job.getMetadata().getName(), w.attempt());
                    nodeSelector = ctx.getSecondaryResources(Pod.class).stream()
                            .filter(p -> rank0.equals(p.getMetadata().getName()) && p.getSpec().getNodeSelector() != null)
                            .findFirst().map(p -> p.getSpec().getNodeSelector()).orElse(java.util.Map.of());
                }
                if (!nodeSelector.isEmpty()) {
                    // the flavors Kueue admitted the job with decide where it runs
                    var selector = new java.util.LinkedHashMap<String, String>();
                    if (pod.getSpec().getNodeSelector() != null) {
                        selector.putAll(pod.getSpec().getNodeSelector());
                    }
                    selector.putAll(nodeSelector);
                    pod.getSpec().setNodeSelector(selector);
                }
                try {
                    createOrApply(ctx, pod);
                } catch (KubernetesClientException e) {
                    if (!PodCreateRejection.isRejection(e.getCode())) {
                        throw e;
                    }
                    String message = e.getStatus() != null && e.getStatus().getMessage() != null
                            ? e.getStatus().getMessage() : e.getMessage();
                    return Optional.of(new PodCreateRejection.Rejected(pod.getMetadata().getName(), e.getCode(), message));
                }
                continue;
            }
            if (a instanceof Action.ApplySpecConfigMap) {
                upsert(ctx, DesiredResources.specConfigMap(job));
            } else if (a instanceof Action.CreateCheckpointPvc) {
                createOrApply(ctx, DesiredResources.checkpointPvc(job));
            } else if (a instanceof Action.CreateProgressSecret) {
                createProgressSecret(job, ctx);
                secretCreated = true;
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
            } else if (a instanceof Action.StopPod d) {
                ctx.getClient().pods().inNamespace(job.getMetadata().getNamespace()).withName(d.name()).delete();
            } else if (a instanceof Action.ReleaseCheckpointPvc) {
                release(job, ctx);
            } else if (a instanceof Action.DeleteJob) {
                ctx.getClient().resource(job).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
            }
        }
        return Optional.empty();
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

    /**
     * Creates Secret {@code <job>-progress} holding the job's derived token (a 409 means it exists: fine). Plain
     * create, never apply or read: {@code create} is the only verb the operator has on Secrets in job namespaces.
     */
    private void createProgressSecret(FineTuneJob job, Context<FineTuneJob> ctx) {
        String uid = job.getMetadata().getUid();
        try {
            ctx.getClient().resource(DesiredResources.progressSecret(job, tokens.tokenFor(uid))).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
        tokens.markSecretEnsured(uid);
    }

}
