package dev.annealer.operator;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.operator.act.Actuator;
import dev.annealer.operator.act.DesiredResources;
import dev.annealer.operator.act.EventRecorder;
import dev.annealer.operator.act.TrainerSettings;
import dev.annealer.operator.decide.Action;
import dev.annealer.operator.decide.Decider;
import dev.annealer.operator.decide.Decision;
import dev.annealer.operator.decide.DeletionPolicy;
import dev.annealer.operator.decide.PodCreateRejection;
import dev.annealer.operator.decide.PodEnding;
import dev.annealer.operator.decide.PodEndingClassifier;
import dev.annealer.operator.metrics.OperatorMetrics;
import dev.annealer.operator.observe.Observation;
import dev.annealer.operator.observe.KueueSupport;
import dev.annealer.operator.observe.Observer;
import dev.annealer.operator.progress.ProgressClient;
import dev.annealer.operator.progress.ProgressKeyStore;
import dev.annealer.operator.progress.ProgressPoller;
import dev.annealer.operator.progress.ProgressTokens;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import io.quarkiverse.operatorsdk.annotations.RBACVerbs;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reconciles a FineTuneJob in three steps: {@link Observer observe} (caches + progress channel, reads only),
 * {@link Decider#decide decide} (pure), act ({@link Actuator} for the actions, then exactly one status write when
 * the status changed, then the events). Owned resources are watched through label-filtered informers mapped back
 * by their controller owner reference, so a pod ending triggers a reconcile at once; a live attempt is also
 * rescheduled every {@code annealer.progress.poll-interval} to poll its trainer.
 */
@ControllerConfiguration(name = FineTuneJobReconciler.NAME, finalizerName = DeletionPolicy.FINALIZER)
@RBACRule(apiGroups = "", resources = "pods", verbs = {RBACVerbs.GET, RBACVerbs.LIST, RBACVerbs.WATCH, RBACVerbs.CREATE,
        RBACVerbs.PATCH, RBACVerbs.DELETE})
@RBACRule(apiGroups = "", resources = {"configmaps", "persistentvolumeclaims"}, verbs = {RBACVerbs.GET, RBACVerbs.LIST,
        RBACVerbs.WATCH, RBACVerbs.CREATE, RBACVerbs.UPDATE, RBACVerbs.PATCH})
// Secrets in job namespaces: create only, never read (progress tokens are derived from the operator's key, ProgressTokens)
@RBACRule(apiGroups = "", resources = "secrets", verbs = RBACVerbs.CREATE)
@RBACRule(apiGroups = "", resources = "events", verbs = {RBACVerbs.CREATE, RBACVerbs.PATCH})
// Kueue: the operator owns one Workload per queued job (create, clear its quota reservation, mark it Finished) and
// reads the flavors and priority classes it admits with
@RBACRule(apiGroups = "kueue.x-k8s.io", resources = "workloads", verbs = {RBACVerbs.GET, RBACVerbs.LIST, RBACVerbs.WATCH,
        RBACVerbs.CREATE, RBACVerbs.UPDATE, RBACVerbs.PATCH, RBACVerbs.DELETE})
@RBACRule(apiGroups = "kueue.x-k8s.io", resources = "workloads/status", verbs = {RBACVerbs.GET, RBACVerbs.UPDATE,
        RBACVerbs.PATCH})
@RBACRule(apiGroups = "kueue.x-k8s.io", resources = {"resourceflavors", "workloadpriorityclasses"}, verbs = {RBACVerbs.GET,
        RBACVerbs.LIST, RBACVerbs.WATCH})
@RBACRule(apiGroups = "scheduling.k8s.io", resources = "priorityclasses", verbs = {RBACVerbs.GET, RBACVerbs.LIST,
        RBACVerbs.WATCH})
// fabric8's LeaderElector renews the lease with PATCH (found by OperatorRbacIT / OperatorQuickstartE2E)
@RBACRule(apiGroups = "coordination.k8s.io", resources = "leases", verbs = {RBACVerbs.GET, RBACVerbs.CREATE,
        RBACVerbs.UPDATE, RBACVerbs.PATCH})
public class FineTuneJobReconciler implements Reconciler<FineTuneJob>, Cleaner<FineTuneJob> {

    public static final String NAME = "finetunejob";
    static final String OWNED_SELECTOR = DesiredResources.LABEL_MANAGED_BY + "=" + DesiredResources.MANAGED_BY;

    private final OperatorConfig config;
    private final OperatorMetrics metrics;
    private final Observer observer;
    private final SimpleInboundEventSource<FineTuneJob> progressEvents = new SimpleInboundEventSource<>("progress");
    private final ProgressPoller progressPoller;
    private final Actuator actuator;
    private final Decider.Settings settings;
    private final Clock clock;
    /** The client the progress key is loaded with (on first use, in the operator's namespace). */
    private final AtomicReference<KubernetesClient> client = new AtomicReference<>();

    public FineTuneJobReconciler(OperatorConfig config, OperatorMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.clock = Clock.systemUTC();
        ProgressTokens tokens = new ProgressTokens(() -> {
            KubernetesClient c = client.get();
            if (c == null) {
                throw new IllegalStateException("the progress key is needed before the first reconcile");
            }
            // the operator's own namespace: explicit, else KUBERNETES_NAMESPACE (the chart's fieldRef; set by hand
            // outside a cluster, as for the lease), else the client's (in a pod: its service account's)
            String ns = config.progress().keyNamespace()
                    .or(() -> java.util.Optional.ofNullable(System.getenv("KUBERNETES_NAMESPACE")).filter(n -> !n.isBlank()))
                    .orElseGet(c::getNamespace);
            return new ProgressKeyStore(c, ns, config.progress().keySecret()).get();
        });
        ProgressClient client = new ProgressClient(config.progress().timeout());
        // a new report triggers a reconcile of its job; fetches never run on a reconcile thread
        this.progressPoller = new ProgressPoller(client::fetch, config.progress().concurrency(), config.progress().queue(),
                config.progress().pollInterval(), progressEvents::propagateEvent);
        metrics.progressPoller(progressPoller);
        this.observer = new Observer(progressPoller, config.trainer().progressPort(), tokens);
        this.actuator = new Actuator(new TrainerSettings(config.trainer().image(), config.trainer().gpuImage(),
                config.trainer().progressPort(),
                config.trainer().runAsUser(), config.trainer().fsGroup(), config.trainer().defaultGraceSeconds(),
                config.trainer().djlCacheDir()),
                config.serverSideApply(), tokens);
        this.settings = new Decider.Settings(new PodEndingClassifier.Settings(config.imagePullGrace(),
                config.configErrorGrace()), config.progress().pollInterval());
    }

    @Override
    public List<EventSource<?, FineTuneJob>> prepareEventSources(EventSourceContext<FineTuneJob> context) {
        List<EventSource<?, FineTuneJob>> sources = new java.util.ArrayList<>(List.of(
                owned(Pod.class, context, Mappers.fromOwnerReferences(FineTuneJob.class)),
                owned(ConfigMap.class, context, Mappers.fromOwnerReferences(FineTuneJob.class)),
                owned(PersistentVolumeClaim.class, context, new RetainedPvcMapper()),
                progressEvents));
        if (KueueSupport.served(context.getClient())) {
            sources.add(KueueSupport.workloads(context, OWNED_SELECTOR));
            observer.kueueServed(true);
        }
        return sources;
    }

    private static <R extends HasMetadata> InformerEventSource<R, FineTuneJob> owned(Class<R> type,
            EventSourceContext<FineTuneJob> context, SecondaryToPrimaryMapper<R> mapper) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, FineTuneJob.class)
                .withName(type.getSimpleName().toLowerCase())
                .withLabelSelector(OWNED_SELECTOR)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(mapper)
                .build(), context);
    }

    /**
     * Deleting a job ({@link DeletionPolicy}): stop the live trainer gracefully (SIGTERM checkpoint), wait until its
     * pod is gone, release a still-owned Retain PVC, then let the finalizer go.
     */
    @Override
    public DeleteControl cleanup(FineTuneJob job, Context<FineTuneJob> context) {
        DeletionPolicy.Verdict v = DeletionPolicy.decide(job, observer.observe(job, context));
        actuator.apply(job, v.actions(), context);
        if (v.done()) {
            return DeleteControl.defaultDelete();
        }
        DeleteControl control = DeleteControl.noFinalizerRemoval();
        v.recheck().ifPresent(d -> control.rescheduleAfter(d.toMillis()));
        return control;
    }

    @Override
    public UpdateControl<FineTuneJob> reconcile(FineTuneJob job, Context<FineTuneJob> context) {
        Instant now = clock.instant();
        client.compareAndSet(null, context.getClient());
        Observation obs = observer.observe(job, context);
        Decision decision = Decider.decide(job, obs, now, settings);

        Optional<PodCreateRejection.Rejected> rejected = actuator.apply(job, decision.actions(), context);
        if (rejected.isPresent()) {
            // the API server's words go into status: a refused pod must never look like a silent Pending
            decision = PodCreateRejection.apply(job, decision, rejected.get(), now, podCreateRetry());
        }
        Instant actedAt = clock.instant(); // replacement pods exist from here on (resume latency)
        boolean deleted = decision.actions().stream().anyMatch(a -> a instanceof Action.DeleteJob);
        if (!deleted && !decision.status().equals(job.getStatus())) {
            writeStatus(job, decision.status(), context);
        }
        EventRecorder events = new EventRecorder(context.getClient());
        decision.events().forEach(e -> events.record(job, e, now));
        recordMetrics(job, decision, deleted, actedAt);

        UpdateControl<FineTuneJob> control = UpdateControl.noUpdate();
        decision.requeueAfter().ifPresent(control::rescheduleAfter);
        return control;
    }

    /** How long a refused pod waits before it is asked for again: six polls (30 s by default). */
    private java.time.Duration podCreateRetry() {
        return config.progress().pollInterval().multipliedBy(6);
    }

    /** The one status write: server-side apply of the status alone in production, a status update in tests. */
    private void writeStatus(FineTuneJob job, FineTuneJobStatus status, Context<FineTuneJob> context) {
        FineTuneJob patch = new FineTuneJob();
        patch.getMetadata().setName(job.getMetadata().getName());
        patch.getMetadata().setNamespace(job.getMetadata().getNamespace());
        patch.setStatus(status);
        if (config.serverSideApply()) {
            context.resourceOperations().serverSideApplyPrimaryStatus(patch);
        } else {
            patch.getMetadata().setResourceVersion(job.getMetadata().getResourceVersion());
            patch.getMetadata().setUid(job.getMetadata().getUid());
            patch.setSpec(job.getSpec());
            context.resourceOperations().updatePrimaryStatus(patch);
        }
    }

    private void recordMetrics(FineTuneJob job, Decision d, boolean deleted, Instant actedAt) {
        String key = job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
        metrics.phase(key, deleted ? null : d.status().getPhase());
        d.accountedEnding().ifPresent(e -> {
            if (e.kind() == PodEnding.Kind.PREEMPTION) {
                metrics.preempted(e.cause());
            } else if (e.kind() == PodEnding.Kind.FAILURE) {
                metrics.failed(e.cause());
            }
        });
        d.actions().stream().filter(a -> a instanceof Action.CreatePod).map(a -> (Action.CreatePod) a)
                .forEach(c -> c.replacedPodEnd().ifPresent(end -> metrics.resumed(java.time.Duration.between(end, actedAt))));
    }
}
