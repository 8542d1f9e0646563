package dev.annealer.operator.act;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.Defaults;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.ReclaimPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The desired state of every resource a FineTuneJob owns: pure functions of the job (and, for the pod, the
 * attempt number and the operator's {@link TrainerSettings}). All carry a {@code controller=true} owner reference,
 * except a retained checkpoint PVC.
 *
 * <ul>
 *   <li>ConfigMap {@code <job>-spec}: key {@code job.yaml} = apiVersion, kind, metadata (name, namespace, uid,
 *       generation) and spec, mounted at {@code /etc/annealer/job/}.</li>
 *   <li>PVC {@code <job>-checkpoints}: ReadWriteOnce, size {@code spec.checkpoint.storage.size} (1Gi),
 *       class {@code spec.checkpoint.storage.storageClassName}, mounted at {@code /var/lib/annealer/checkpoints};
 *       owned by the job only with {@code reclaimPolicy: Delete} (Retain, the default: labelled, never owned).</li>
 *   <li>Secret {@code <job>-progress}: key {@code token}, the bearer token of the progress channel.</li>
 *   <li>Pod {@code <job>-<attempt>}: see {@link #pod}; with {@code spec.workers: N > 1} it is rank 0, and ranks
 *       1..N-1 are pods {@code <job>-<attempt>-w<rank>} ({@link #workerPod}), all mounting the same checkpoint PVC.</li>
 * </ul>
 */
public final class DesiredResources {

    public static final String MANAGED_BY = "annealer-operator";
    public static final String LABEL_JOB = "annealer.dev/job";
    public static final String LABEL_ATTEMPT = "annealer.dev/attempt";
    /** On the pods of a job with {@code spec.workers > 1}: the worker's rank (0 .. workers-1). */
    public static final String LABEL_WORKER_RANK = "annealer.dev/worker-rank";
    /** Port of rank 0's c10d TCPStore (torchrun's default). */
    public static final int MASTER_PORT = 29500;
    public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
    /** Kueue's label prefix: read on the job (queue-name, priority-class), never put on trainer pods. */
    public static final String KUEUE_PREFIX = "kueue.x-k8s.io/";
    public static final String CONTAINER = "trainer";
    public static final String JOB_YAML = "job.yaml";
    public static final String TOKEN_KEY = "token";
    public static final String JOB_DIR = "/etc/annealer/job";
    public static final String CHECKPOINT_DIR = "/var/lib/annealer/checkpoints";
    public static final String PVC_ROOT = "/mnt/pvc";
    public static final String TERMINATION_LOG = "/dev/termination-log";
    public static final String DEFAULT_STORAGE = "1Gi";
    /** On ConfigMap {@code <job>-spec}: {@code <uid>/<generation>} of the job its job.yaml was written from. */
    public static final String ANNOTATION_SPEC_VERSION = "annealer.dev/spec-version";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private DesiredResources() {
    }

    public static String specConfigMapName(FineTuneJob job) {
        return job.getMetadata().getName() + "-spec";
    }

    public static String pvcName(FineTuneJob job) {
        return job.getMetadata().getName() + "-checkpoints";
    }

    public static String secretName(FineTuneJob job) {
        return job.getMetadata().getName() + "-progress";
    }

    public static String podName(String jobName, int attempt) {
        return jobName + "-" + attempt;
    }

    /** The {@code controller=true} owner reference every owned resource carries. */
    public static OwnerReference ownerReference(FineTuneJob job) {
        return new OwnerReferenceBuilder().withApiVersion(FineTuneJob.API_VERSION).withKind(FineTuneJob.KIND)
                .withName(job.getMetadata().getName()).withUid(job.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    /** The {@code job.yaml} the trainer reads: the whole job without status, in a stable key order. */
    public static String jobYaml(FineTuneJob job) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", FineTuneJob.API_VERSION);
        doc.put("kind", FineTuneJob.KIND);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("name", job.getMetadata().getName());
        meta.put("namespace", job.getMetadata().getNamespace());
        meta.put("uid", job.getMetadata().getUid());
        meta.put("generation", job.getMetadata().getGeneration());
        doc.put("metadata", meta);
        doc.put("spec", YAML.convertValue(job.getSpec(), Map.class));
        try {
            return YAML.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize FineTuneJob " + job.getMetadata().getName(), e);
        }
    }

    /**
     * {@code <uid>/<generation>}: job.yaml is a function of uid, generation and spec, and every spec change bumps
     * the generation, so comparing this is comparing the content (without serializing it on every reconcile).
     */
    public static String specVersion(FineTuneJob job) {
        return job.getMetadata().getUid() + "/" + job.getMetadata().getGeneration();
    }

    public static ConfigMap specConfigMap(FineTuneJob job) {
        ObjectMeta meta = meta(job, specConfigMapName(job), Map.of());
        meta.setAnnotations(Map.of(ANNOTATION_SPEC_VERSION, specVersion(job)));
        return new ConfigMapBuilder().withMetadata(meta).withData(Map.of(JOB_YAML, jobYaml(job))).build();
    }

    public static PersistentVolumeClaim checkpointPvc(FineTuneJob job) {
        var storage = job.getSpec().getCheckpoint() == null ? null : job.getSpec().getCheckpoint().getStorage();
        Quantity size = storage == null || storage.getSize() == null ? new Quantity(DEFAULT_STORAGE) : storage.getSize();
        String storageClass = storage == null ? null : storage.getStorageClassName();
        ObjectMeta meta = meta(job, pvcName(job), Map.of());
        if (Defaults.reclaimPolicy(job.getSpec()) == ReclaimPolicy.RETAIN) {
            // why: an owner reference lets the garbage collector (TTL, kubectl delete, foreground deletion) take the
            // checkpoints; Retain means no deletion of the job ever takes them
            meta.setOwnerReferences(List.of());
        }
        return new PersistentVolumeClaimBuilder().withMetadata(meta)
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(storageClass)
                .withNewResources().addToRequests("storage", size).endResources().endSpec().build();
    }

    public static Secret progressSecret(FineTuneJob job, String token) {
        return new SecretBuilder().withMetadata(meta(job, secretName(job), Map.of())).withType("Opaque")
                .withStringData(Map.of(TOKEN_KEY, token)).build();
    }

    /**
     * The trainer pod of an attempt. Restricted Pod Security (non-root, read-only root filesystem with an emptyDir
     * at /tmp, no privilege escalation, ALL capabilities dropped, seccomp RuntimeDefault), no service-account token,
     * {@code restartPolicy: Never} (every restart is a new attempt the operator classifies), GPUs as
     * {@code nvidia.com/gpu} limits, memory request = limit, termination message falling back to the log tail.
     */
    public static Pod pod(FineTuneJob job, int attempt, TrainerSettings settings) {
        return pod(job, attempt, 0, null, settings);
    }

    /**
     * The pod of worker {@code rank} (1 .. {@code spec.workers}-1) of an attempt, {@code <job>-<attempt>-w<rank>}:
     * the rank-0 pod's spec with torchrun's environment for this rank; {@code masterAddr} is the rank-0 pod's IP
     * (its TCPStore serves the rendezvous on {@value #MASTER_PORT}).
     */
    public static Pod workerPod(FineTuneJob job, int attempt, int rank, String masterAddr, TrainerSettings settings) {
        if (rank < 1 || masterAddr == null || masterAddr.isBlank()) {
            throw new IllegalArgumentException("worker pods are ranks >= 1 with the rank-0 pod's address (got rank "
                    + rank + ", masterAddr " + masterAddr + ")");
        }
        return pod(job, attempt, rank, masterAddr, settings);
    }

    /** Worker pods of a job with {@code spec.workers > 1} are named {@code <job>-<attempt>-w<rank>}, rank 0 keeps {@link #podName}. */
    public static String workerPodName(String jobName, int attempt, int rank) {
        return rank == 0 ? podName(jobName, attempt) : podName(jobName, attempt) + "-w" + rank;
    }

    /** {@code spec.workers}, 1 when absent. */
    public static int workers(FineTuneJobSpec spec) {
        return spec == null || spec.getWorkers() == null ? 1 : Math.max(1, spec.getWorkers());
    }

    private static Pod pod(FineTuneJob job, int attempt, int rank, String masterAddr, TrainerSettings settings) {
        FineTuneJobSpec spec = job.getSpec();
        var template = spec.getTemplate();
        var res = spec.getResources();
        // spec.resources is per worker, and every worker of spec.workers > 1 is a pod of its own (one per rank)
        int workers = workers(spec);
        int gpus = res == null || res.getGpus() == null ? 0 : res.getGpus();
        long grace = template != null && template.getTerminationGracePeriodSeconds() != null
                ? template.getTerminationGracePeriodSeconds() : settings.defaultGraceSeconds();
        String image = settings.imageFor(template == null ? null : template.getImage(), gpus);

        Map<String, String> labels = new LinkedHashMap<>();
        if (template != null && template.getLabels() != null) {
            labels.putAll(template.getLabels());
        }
        // why: no kueue.x-k8s.io/* labels on the pod: the job is queued as ONE Workload (KueueWorkloads); a queue label
        // here would let Kueue's pod integration queue every attempt again as a stranger
        labels.keySet().removeIf(k -> k.startsWith(KUEUE_PREFIX));
        labels.put(LABEL_ATTEMPT, Integer.toString(attempt));
        if (workers > 1) {
            labels.put(LABEL_WORKER_RANK, Integer.toString(rank));
        }
        ObjectMeta meta = meta(job, workerPodName(job.getMetadata().getName(), attempt, rank), labels);
        if (template != null && template.getAnnotations() != null) {
            meta.setAnnotations(new LinkedHashMap<>(template.getAnnotations()));
        }

        var requests = new LinkedHashMap<String, Quantity>();
        var limits = new LinkedHashMap<String, Quantity>();
        if (res != null && res.getCpu() != null) {
            requests.put("cpu", res.getCpu());
        }
        if (res != null && res.getMemory() != null) {
            Quantity memory = res.getMemory();
            requests.put("memory", memory);
            limits.put("memory", memory);
        }
        if (gpus > 0) {
            limits.put("nvidia.com/gpu", new Quantity(Integer.toString(gpus)));
        }

        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        volumes.add(new VolumeBuilder().withName("job-spec").withNewConfigMap().withName(specConfigMapName(job))
                .endConfigMap().build());
        mounts.add(new VolumeMountBuilder().withName("job-spec").withMountPath(JOB_DIR).withReadOnly(true).build());
        volumes.add(new VolumeBuilder().withName("checkpoints").withNewPersistentVolumeClaim().withClaimName(pvcName(job))
                .endPersistentVolumeClaim().build());
        mounts.add(new VolumeMountBuilder().withName("checkpoints").withMountPath(CHECKPOINT_DIR).build());
        volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
        mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
        for (String claim : inputClaims(spec)) {
            String vol = inputVolumeName(claim);
            volumes.add(new VolumeBuilder().withName(vol).withNewPersistentVolumeClaim().withClaimName(claim)
                    .withReadOnly(true).endPersistentVolumeClaim().build());
            mounts.add(new VolumeMountBuilder().withName(vol).withMountPath(PVC_ROOT + "/" + claim).withReadOnly(true).build());
        }

        List<EnvVar> env = new ArrayList<>(List.of(
                env("ANNEALER_JOB_NAME", job.getMetadata().getName()),
                env("ANNEALER_JOB_NAMESPACE", job.getMetadata().getNamespace()),
                env("ANNEALER_ATTEMPT", Integer.toString(attempt)),
                new EnvVarBuilder().withName("POD_IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP")
                        .endFieldRef().endValueFrom().build(),
                env("ANNEALER_PROGRESS_PORT", Integer.toString(settings.progressPort())),
                new EnvVarBuilder().withName("ANNEALER_PROGRESS_TOKEN").withNewValueFrom().withNewSecretKeyRef()
                        .withName(secretName(job)).withKey(TOKEN_KEY).endSecretKeyRef().endValueFrom().build(),
                env("ANNEALER_GRACE_SECONDS", Long.toString(grace)),
                env("ANNEALER_TERMINATION_LOG", TERMINATION_LOG),
                env("TMPDIR", "/tmp"),
                env("DJL_CACHE_DIR", settings.djlCacheDir())));
        if (workers > 1) {
            // torchrun's conventions (the trainer's WorkerEnv): one worker per pod, rendezvous at rank 0's pod IP
            env.add(env("WORLD_SIZE", Integer.toString(workers)));
            env.add(env("RANK", Integer.toString(rank)));
            env.add(env("LOCAL_RANK", "0"));
            env.add(rank == 0 ? new EnvVarBuilder().withName("MASTER_ADDR").withNewValueFrom().withNewFieldRef()
                    .withFieldPath("status.podIP").endFieldRef().endValueFrom().build() : env("MASTER_ADDR", masterAddr));
            env.add(env("MASTER_PORT", Integer.toString(MASTER_PORT)));
        }

        var container = new ContainerBuilder().withName(CONTAINER).withImage(image)
                .withArgs("train", "-f", JOB_DIR + "/" + JOB_YAML, "--checkpoint-dir", CHECKPOINT_DIR,
                        "--device", gpus > 0 ? "gpu" : "cpu")
                .withEnv(env)
                .addNewPort().withName("progress").withContainerPort(settings.progressPort()).withProtocol("TCP").endPort()
                .withResources(new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build())
                .withVolumeMounts(mounts)
                .withTerminationMessagePath(TERMINATION_LOG)
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withNewSecurityContext().withRunAsNonRoot(true).withReadOnlyRootFilesystem(true)
                .withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL").endCapabilities()
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .build();

        return new PodBuilder().withMetadata(meta).withNewSpec()
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withTerminationGracePeriodSeconds(grace)
                .withPriorityClassName(template == null ? null : template.getPriorityClassName())
                .withNodeSelector(template == null || template.getNodeSelector() == null ? null : new LinkedHashMap<>(template.getNodeSelector()))
                .withTolerations(template == null || template.getTolerations() == null ? null : new ArrayList<>(template.getTolerations()))
                .withAffinity(template == null ? null : template.getAffinity())
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(settings.runAsUser())
                .withRunAsGroup(settings.fsGroup()).withFsGroup(settings.fsGroup())
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .withContainers(container)
                .withVolumes(volumes)
                .endSpec().build();
    }

    /**
     * The pod volume of input claim {@code claim}: {@code pvc-<claim>} when that is a DNS label (volume names are;
     * claim names are DNS subdomains and may hold dots or be longer), else {@code pvc-<prefix>-<hash>}, so
     * {@code my.data} and {@code my-data} get distinct valid names.
     */
    static String inputVolumeName(String claim) {
        String plain = "pvc-" + claim;
        if (plain.length() <= 63 && !claim.contains(".")) {
            return plain;
        }
        String hash;
        try {
            hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(claim.getBytes(java.nio.charset.StandardCharsets.UTF_8))).substring(0, 10);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String prefix = claim.replace('.', '-');
        prefix = prefix.substring(0, Math.min(prefix.length(), 63 - "pvc-".length() - 1 - hash.length()));
        prefix = prefix.replaceAll("-+$", "");
        return "pvc-" + prefix + "-" + hash;
    }

    /** Claims named by {@code pvc://CLAIM/path} in model.source, data.train and data.validation, in order. */
    static Set<String> inputClaims(FineTuneJobSpec spec) {
        Set<String> claims = new LinkedHashSet<>();
        List<String> sources = new ArrayList<>();
        if (spec.getModel() != null) {
            sources.add(spec.getModel().getSource());
        }
        if (spec.getData() != null) {
            sources.add(spec.getData().getTrain());
            sources.add(spec.getData().getValidation());
        }
        for (String s : sources) {
            if (s != null && s.startsWith("pvc://")) {
                String rest = s.substring("pvc://".length());
                int slash = rest.indexOf('/');
                String claim = slash < 0 ? rest : rest.substring(0, slash);
                if (!claim.isEmpty()) {
                    claims.add(claim);
                }
            }
        }
        return claims;
    }

    private static ObjectMeta meta(FineTuneJob job, String name, Map<String, String> extraLabels) {
        Map<String, String> labels = new LinkedHashMap<>(extraLabels);
        labels.put(LABEL_JOB, job.getMetadata().getName());
        labels.put(LABEL_MANAGED_BY, MANAGED_BY);
        labels.put(LABEL_COMPONENT, "trainer");
        return new ObjectMetaBuilder().withName(name).withNamespace(job.getMetadata().getNamespace())
                .withLabels(labels).withOwnerReferences(ownerReference(job)).build();
    }

    private static EnvVar env(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }
}
