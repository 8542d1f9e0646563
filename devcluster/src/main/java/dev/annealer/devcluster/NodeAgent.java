package dev.annealer.devcluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeDaemonEndpointsBuilder;
import io.fabric8.kubernetes.api.model.NodeSystemInfoBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The devcluster's kubelet stand-in: registers N nodes with {@code nvidia.com/gpu} capacity, keeps them Ready
 * (node Lease renewed every {@value #LEASE_RENEW_SECONDS} s, Ready condition heartbeat), provisions local
 * PersistentVolumes for pending claims, and runs the pods bound to its nodes as local processes
 * ({@link PodRunner}).
 *
 * <p>Everything is driven by informers (pods, claims); per-pod work runs on a worker pool so one slow pod never
 * blocks the others.
 */
public final class NodeAgent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NodeAgent.class.getName());
    static final int LEASE_RENEW_SECONDS = 10;
    static final int LEASE_DURATION_SECONDS = 40;
    public static final String STORAGE_CLASS = "devcluster-local";
    public static final String PROVISIONER = "annealer.dev/devcluster-local";
    public static final String NODE_LABEL = "annealer.dev/devcluster";

    /** Shape of the simulated nodes and where pods live. */
    public record Config(int nodes, int gpusPerNode, String cpuPerNode, String memoryPerNode, Path stateDir,
                        ImageMap images, Path trainerWorkDir, String kubeletVersion) {
    }

    private final KubernetesClient client;
    private final Config config;
    private final List<String> nodeNames = new ArrayList<>();
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "node-heartbeat"));
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> daemon(r, "pod-worker"));
    private final Map<String, PodRunner> runners = new ConcurrentHashMap<>();
    private final PodIps ips = new PodIps();
    private SharedIndexInformer<Pod> podInformer;
    private SharedIndexInformer<PersistentVolumeClaim> pvcInformer;
    private KubeletServer kubelet;
    private volatile boolean closed;

    public NodeAgent(KubernetesClient client, Config config) {
        this.client = client;
        this.config = config;
        for (int i = 0; i < config.nodes(); i++) {
            nodeNames.add("devcluster-gpu-" + i);
        }
    }

    public List<String> nodeNames() {
        return List.copyOf(nodeNames);
    }

    /** Registers the nodes, starts the heartbeats, the provisioner and the pod runner. */
    public NodeAgent start() {
        try {
            Files.createDirectories(config.stateDir().resolve("pods"));
            Files.createDirectories(config.stateDir().resolve("volumes"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            // why: `kubectl logs` goes through kube-apiserver to the node's kubelet port: every node is served here
            kubelet = new KubeletServer(config.stateDir().resolve("kubelet"), this::findLog).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ensureStorageClass();
        for (String n : nodeNames) {
            registerNode(n);
        }
        heartbeat.scheduleWithFixedDelay(this::heartbeatAll, 0, LEASE_RENEW_SECONDS, TimeUnit.SECONDS);
        pvcInformer = client.persistentVolumeClaims().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PersistentVolumeClaim pvc) {
                workers.submit(() -> provision(pvc));
            }

            @Override
            public void onUpdate(PersistentVolumeClaim oldPvc, PersistentVolumeClaim pvc) {
                workers.submit(() -> provision(pvc));
            }

            @Override
            public void onDelete(PersistentVolumeClaim pvc, boolean unknownFinalState) {
                workers.submit(() -> releaseVolume(pvc));
            }
        }, 30_000);
        podInformer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                onPod(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                onPod(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknownFinalState) {
                PodRunner r = runners.remove(pod.getMetadata().getUid());
                if (r != null) {
                    workers.submit(r::forceStop);
                }
            }
        }, 30_000);
        awaitSchedulable(60);
        return this;
    }

    /**
     * Waits until the node lifecycle controller has seen the nodes Ready and removed its {@code not-ready} taint,
     * so "started" means pods can be scheduled.
     */
    private void awaitSchedulable(int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            boolean all = nodeNames.stream().map(n -> client.nodes().withName(n).get()).allMatch(n -> n != null
                    && (n.getSpec().getTaints() == null || n.getSpec().getTaints().stream()
                    .noneMatch(t -> t.getKey().startsWith("node.kubernetes.io/"))));
            if (all) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.warning("nodes still tainted after " + seconds + " s: pods may wait for the node lifecycle controller");
    }

    private void onPod(Pod pod) {
        if (closed || pod.getSpec() == null || !nodeNames.contains(pod.getSpec().getNodeName())) {
            return;
        }
        String uid = pod.getMetadata().getUid();
        PodRunner runner = runners.computeIfAbsent(uid, u -> new PodRunner(client, pod, config, ips, workers));
        runner.observe(pod);
    }

    /** The kubelet log endpoint's lookup: the newest pod runner of ns/pod on this agent's nodes. */
    private ContainerLogs.Lookup findLog(String namespace, String pod, String container, boolean previous) {
        return runners.values().stream()
                .filter(r -> r.namespace().equals(namespace) && r.name().equals(pod))
                .min(java.util.Comparator.comparing(PodRunner::deleting)) // why: a pod re-created under the same name
                .map(r -> r.log(container, previous))
                .orElseGet(() -> ContainerLogs.Lookup.notFound("pod " + namespace + "/" + pod
                        + " is not running on this node"));
    }

    /** Port of the kubelet log endpoint (all nodes), for tests. */
    public int kubeletPort() {
        return kubelet.port();
    }

    // --- nodes -------------------------------------------------------------------------------------------------

    private void registerNode(String name) {
        Map<String, Quantity> capacity = new LinkedHashMap<>();
        capacity.put("cpu", new Quantity(config.cpuPerNode()));
        capacity.put("memory", new Quantity(config.memoryPerNode()));
        capacity.put("pods", new Quantity("110"));
        capacity.put("ephemeral-storage", new Quantity("100Gi"));
        capacity.put("nvidia.com/gpu", new Quantity(String.valueOf(config.gpusPerNode())));
        Node node = new NodeBuilder().withNewMetadata().withName(name)
                .addToLabels("kubernetes.io/hostname", name)
                .addToLabels("kubernetes.io/os", "linux")
                .addToLabels("kubernetes.io/arch", "amd64")
                .addToLabels("nvidia.com/gpu.present", "true")
                .addToLabels(NODE_LABEL, "true")
                .endMetadata().build();
        client.nodes().resource(node).createOr(r -> r.update());
        Retry.onConflict(() -> client.nodes().withName(name).editStatus(n -> {
            n.getStatus().setCapacity(capacity);
            n.getStatus().setAllocatable(capacity);
            // why InternalIP first: the name does not resolve; kube-apiserver prefers InternalIP (ControlPlane)
            n.getStatus().setAddresses(List.of(new NodeAddress("127.0.0.1", "InternalIP"),
                    new NodeAddress(name, "Hostname")));
            n.getStatus().setDaemonEndpoints(new NodeDaemonEndpointsBuilder().withNewKubeletEndpoint()
                    .withPort(kubelet.port()).endKubeletEndpoint().build());
            n.getStatus().setNodeInfo(new NodeSystemInfoBuilder().withArchitecture("amd64").withOperatingSystem("linux")
                    .withKubeletVersion(config.kubeletVersion()).withContainerRuntimeVersion("annealer-devcluster://1")
                    .withOsImage("devcluster").withKernelVersion(System.getProperty("os.version"))
                    .withMachineID(name).withSystemUUID(name).withBootID(name).build());
            n.getStatus().setConditions(conditions(Instant.now()));
            return n;
        }));
        LOG.info(() -> "registered node " + name + " with nvidia.com/gpu=" + config.gpusPerNode());
    }

    private static List<NodeCondition> conditions(Instant now) {
        String t = now.toString();
        List<NodeCondition> c = new ArrayList<>();
        c.add(new NodeConditionBuilder().withType("Ready").withStatus("True").withReason("KubeletReady")
                .withMessage("devcluster node agent is posting ready status").withLastHeartbeatTime(t)
                .withLastTransitionTime(t).build());
        for (String p : List.of("MemoryPressure", "DiskPressure", "PIDPressure")) {
            c.add(new NodeConditionBuilder().withType(p).withStatus("False").withReason("KubeletHasNo" + p)
                    .withMessage("no " + p).withLastHeartbeatTime(t).withLastTransitionTime(t).build());
        }
        return c;
    }

    private void heartbeatAll() {
        Instant now = Instant.now();
        for (String name : nodeNames) {
            try {
                renewLease(name, now);
                Retry.onConflict(() -> client.nodes().withName(name).editStatus(n -> {
                    if (n.getStatus().getConditions() == null || n.getStatus().getConditions().isEmpty()) {
                        n.getStatus().setConditions(conditions(now));
                    } else {
                        n.getStatus().getConditions().forEach(c -> c.setLastHeartbeatTime(now.toString()));
                    }
                    return n;
                }));
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "heartbeat of " + name + " failed: " + e.getMessage());
                }
            }
        }
    }

    private void renewLease(String name, Instant now) {
        Retry.onConflict(() -> {
            renewLeaseOnce(name, now);
            return null;
        });
    }

    private void renewLeaseOnce(String name, Instant now) {
        java.time.ZonedDateTime renew = now.atZone(ZoneOffset.UTC);
        Lease existing = client.resources(Lease.class).inNamespace("kube-node-lease").withName(name).get();
        if (existing == null) {
            Node node = client.nodes().withName(name).get();
            client.resources(Lease.class).inNamespace("kube-node-lease").resource(new LeaseBuilder().withNewMetadata()
                    .withName(name).withNamespace("kube-node-lease")
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node")
                            .withName(name).withUid(node.getMetadata().getUid()).build())
                    .endMetadata().withNewSpec().withHolderIdentity(name)
                    .withLeaseDurationSeconds(LEASE_DURATION_SECONDS).withRenewTime(renew).endSpec().build()).create();
        } else {
            existing.getSpec().setRenewTime(renew);
            existing.getSpec().setHolderIdentity(name);
            client.resources(Lease.class).inNamespace("kube-node-lease").resource(existing).update();
        }
    }

    // --- storage -----------------------------------------------------------------------------------------------

    private void ensureStorageClass() {
        client.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata()
                .withName(STORAGE_CLASS)
                .addToAnnotations("storageclass.kubernetes.io/is-default-class", "true").endMetadata()
                .withProvisioner(PROVISIONER).withReclaimPolicy("Delete").withVolumeBindingMode("Immediate")
                .build()).createOr(r -> r.update());
    }

    /**
     * A pending claim of our class (or of none) gets a hostPath PersistentVolume pre-bound to it (claimRef), as a
     * dynamic provisioner would; the PV controller in kube-controller-manager completes the binding.
     */
    private void provision(PersistentVolumeClaim pvc) {
        if (closed || pvc.getMetadata().getDeletionTimestamp() != null
                || (pvc.getSpec().getVolumeName() != null && !pvc.getSpec().getVolumeName().isEmpty())) {
            return;
        }
        String sc = pvc.getSpec().getStorageClassName();
        if (sc != null && !sc.isEmpty() && !sc.equals(STORAGE_CLASS)) {
            return;
        }
        String pvName = "pvc-" + pvc.getMetadata().getUid();
        if (client.persistentVolumes().withName(pvName).get() != null) {
            return;
        }
        Path dir = config.stateDir().resolve("volumes").resolve(pvName);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            LOG.warning("cannot create " + dir + ": " + e);
            return;
        }
        Quantity size = pvc.getSpec().getResources() != null && pvc.getSpec().getResources().getRequests() != null
                ? pvc.getSpec().getResources().getRequests().getOrDefault("storage", new Quantity("1Gi"))
                : new Quantity("1Gi");
        PersistentVolume pv = new PersistentVolumeBuilder().withNewMetadata().withName(pvName)
                .addToAnnotations("pv.kubernetes.io/provisioned-by", PROVISIONER).endMetadata()
                .withNewSpec().withCapacity(Map.of("storage", size))
                .withAccessModes(pvc.getSpec().getAccessModes() == null || pvc.getSpec().getAccessModes().isEmpty()
                        ? List.of("ReadWriteOnce") : pvc.getSpec().getAccessModes())
                .withStorageClassName(sc == null || sc.isEmpty() ? "" : sc)
                // why: Retain, so the PV controller never tries a deleter plugin; the agent deletes it itself
                .withPersistentVolumeReclaimPolicy("Retain")
                .withVolumeMode(pvc.getSpec().getVolumeMode())
                .withNewHostPath().withPath(dir.toString()).withType("DirectoryOrCreate").endHostPath()
                .withClaimRef(new ObjectReference("v1", null, "PersistentVolumeClaim", pvc.getMetadata().getName(),
                        pvc.getMetadata().getNamespace(), null, pvc.getMetadata().getUid()))
                .endSpec().build();
        try {
            client.persistentVolumes().resource(pv).create();
            LOG.info(() -> "provisioned " + pvName + " for " + pvc.getMetadata().getNamespace() + "/"
                    + pvc.getMetadata().getName() + " at " + dir);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                LOG.warning("cannot create " + pvName + ": " + e.getMessage());
            }
        }
    }

    private void releaseVolume(PersistentVolumeClaim pvc) {
        String pvName = "pvc-" + pvc.getMetadata().getUid();
        try {
            client.persistentVolumes().withName(pvName).delete();
            PodRunner.deleteRecursively(config.stateDir().resolve("volumes").resolve(pvName));
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warning("cannot delete " + pvName + ": " + e.getMessage());
            }
        }
    }

    // --- shutdown ----------------------------------------------------------------------------------------------

    /** Stops watching, then stops every pod process (SIGTERM, 5 s, SIGKILL); nodes are left to the control plane. */
    @Override
    public void close() {
        closed = true;
        if (podInformer != null) {
            podInformer.close();
        }
        if (pvcInformer != null) {
            pvcInformer.close();
        }
        heartbeat.shutdownNow();
        List<PodRunner> all = new ArrayList<>(runners.values());
        runners.clear();
        all.parallelStream().forEach(r -> r.stopProcesses(5));
        workers.shutdownNow();
        if (kubelet != null) {
            kubelet.close();
        }
    }

    /** Pods currently known to the agent, by uid (for tests and `status`). */
    public Set<String> runningPodUids() {
        return Set.copyOf(runners.keySet());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
