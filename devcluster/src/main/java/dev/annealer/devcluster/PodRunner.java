package dev.annealer.devcluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs one pod as local processes and reports its status, as the kubelet would.
 *
 * <p>Lifecycle: {@link #observe} is called for every informer event of the pod. The first one starts
 * {@link #run()} on a worker: volumes are prepared (ConfigMap/Secret/downward API/projected files written, claims
 * resolved to their PersistentVolume's directory, emptyDir created), then init containers run one after another,
 * then the containers start. Each container sees its mounts through {@link PathRewriter}: container paths in
 * command, args, env values and workingDir become paths under {@code <pod>/containers/<name>/rootfs}, where each
 * mount path is a symbolic link to its volume. An event with {@code deletionTimestamp} starts graceful termination:
 * SIGTERM, wait the pod's grace period, SIGKILL, write the final status, then confirm the deletion (grace 0).
 *
 * <p>Output: each container's runs append to {@code <pod>/containers/<name>/output.log}; {@code kubectl logs}
 * (current and {@code --previous} run) is served from it by the agent's {@link KubeletServer}.
 *
 * <p>Not simulated: resource limits, probes (containers are ready when started), image pulls, read-only mounts,
 * {@code kubectl exec/attach/port-forward}.
 */
final class PodRunner {

    private static final Logger LOG = Logger.getLogger(PodRunner.class.getName());
    private static final Pattern VAR_REF = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)");
    private static final int MAX_TERMINATION_MESSAGE = 4096;

    private final KubernetesClient client;
    private final NodeAgent.Config config;
    private final PodIps ips;
    private final ExecutorService workers;
    private final String ns;
    private final String name;
    private final String uid;
    private final Path root;
    private volatile Pod latest;
    private boolean started;
    private boolean terminating;
    private volatile boolean finished;
    private String podIp;
    private Instant startTime;
    private final Map<String, ContainerRun> initRuns = new LinkedHashMap<>();
    private final Map<String, ContainerRun> runs = new LinkedHashMap<>();

    /** State of one container: its process while it runs, its exit afterwards. */
    private static final class ContainerRun {
        final Container spec;
        volatile Process process;
        volatile List<ProcessHandle> descendants = List.of();
        Instant startedAt;
        Integer exitCode;
        Instant finishedAt;
        String terminationMessage;
        String waitingReason = "ContainerCreating";
        String waitingMessage;
        int restarts;
        Path termFile;
        volatile Path log;
        /** Byte offsets in {@link #log} (shared by the runs) where the current run's output starts. */
        volatile long runStart;
        /** The previous run's bytes, [previousStart, previousEnd); -1 before the first restart. */
        volatile long previousStart = -1;
        volatile long previousEnd = -1;

        ContainerRun(Container spec) {
            this.spec = spec;
        }
    }

    PodRunner(KubernetesClient client, Pod pod, NodeAgent.Config config, PodIps ips, ExecutorService workers) {
        this.client = client;
        this.config = config;
        this.ips = ips;
        this.workers = workers;
        this.ns = pod.getMetadata().getNamespace();
        this.name = pod.getMetadata().getName();
        this.uid = pod.getMetadata().getUid();
        this.root = config.stateDir().resolve("pods").resolve(ns + "_" + name + "_" + uid.substring(0, 8));
        this.latest = pod;
    }

    /** Decides what a new view of the pod means: start it, or terminate it. */
    synchronized void observe(Pod pod) {
        latest = pod;
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            if (!terminating) {
                terminating = true;
                workers.submit(this::terminateAndConfirm);
            }
            return;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (!started && !"Succeeded".equals(phase) && !"Failed".equals(phase)) {
            started = true;
            workers.submit(this::run);
        }
    }

    // --- start -------------------------------------------------------------------------------------------------

    private void run() {
        try {
            synchronized (this) {
                if (terminating) {
                    return;
                }
                podIp = ips.allocate();
                startTime = Instant.now();
                for (Container c : list(latest.getSpec().getInitContainers())) {
                    initRuns.put(c.getName(), new ContainerRun(c));
                }
                for (Container c : latest.getSpec().getContainers()) {
                    runs.put(c.getName(), new ContainerRun(c));
                }
            }
            Files.createDirectories(root);
            writeStatus();
            Map<String, Path> volumes = prepareVolumesWithRetry();
            if (volumes == null) {
                return;
            }
            for (ContainerRun init : initRuns.values()) {
                if (!startContainer(init, volumes)) {
                    return;
                }
                int code = init.process.waitFor();
                recordExit(init, code);
                if (code != 0) {
                    finishIfDone();
                    return;
                }
            }
            for (ContainerRun r : runs.values()) {
                if (!startContainer(r, volumes)) {
                    return;
                }
            }
            writeStatus();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warning(ns + "/" + name + ": cannot run: " + e);
            synchronized (this) {
                runs.values().stream().filter(r -> r.process == null).forEach(r -> {
                    r.waitingReason = "RunContainerError";
                    r.waitingMessage = String.valueOf(e.getMessage());
                });
            }
            writeStatus();
        }
    }

    /** Prepares all volumes; retries for up to 2 minutes while a ConfigMap, Secret or claim is not there yet. */
    private Map<String, Path> prepareVolumesWithRetry() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        String last = null;
        while (true) {
            synchronized (this) {
                if (terminating) {
                    return null;
                }
            }
            try {
                Map<String, Path> v = new HashMap<>();
                for (Volume vol : list(latest.getSpec().getVolumes())) {
                    v.put(vol.getName(), prepareVolume(vol));
                }
                return v;
            } catch (NotReady e) {
                if (!e.getMessage().equals(last)) {
                    last = e.getMessage();
                    synchronized (this) {
                        runs.values().forEach(r -> {
                            r.waitingReason = "ContainerCreating";
                            r.waitingMessage = e.getMessage();
                        });
                    }
                    writeStatus();
                }
                if (System.nanoTime() > deadline) {
                    synchronized (this) {
                        runs.values().forEach(r -> {
                            r.waitingReason = "CreateContainerConfigError";
                            r.waitingMessage = e.getMessage();
                        });
                    }
                    writeStatus();
                    return null;
                }
                Thread.sleep(500);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** A volume's source is not there yet (retry later). */
    private static final class NotReady extends Exception {
        NotReady(String message) {
            super(message);
        }
    }

    private Path prepareVolume(Volume v) throws NotReady, IOException {
        Path dir = root.resolve("volumes").resolve(v.getName());
        if (v.getPersistentVolumeClaim() != null) {
            String claim = v.getPersistentVolumeClaim().getClaimName();
            PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(ns).withName(claim).get();
            if (pvc == null) {
                throw new NotReady("persistentvolumeclaim \"" + claim + "\" not found");
            }
            String pvName = pvc.getSpec().getVolumeName();
            if (pvName == null || pvName.isEmpty() || !"Bound".equals(pvc.getStatus().getPhase())) {
                throw new NotReady("persistentvolumeclaim \"" + claim + "\" is not bound yet");
            }
            PersistentVolume pv = client.persistentVolumes().withName(pvName).get();
            if (pv == null) {
                throw new NotReady("persistentvolume \"" + pvName + "\" not found");
            }
            String path = pv.getSpec().getHostPath() != null ? pv.getSpec().getHostPath().getPath()
                    : pv.getSpec().getLocal() != null ? pv.getSpec().getLocal().getPath() : null;
            if (path == null) {
                throw new NotReady("persistentvolume \"" + pvName + "\" has no hostPath or local path");
            }
            return Files.createDirectories(Path.of(path));
        }
        if (v.getHostPath() != null) {
            Path p = Path.of(v.getHostPath().getPath());
            if (!Files.exists(p)) {
                Files.createDirectories(p);
            }
            return p;
        }
        Files.createDirectories(dir);
        if (v.getConfigMap() != null) {
            writeConfigMap(dir, v.getConfigMap().getName(), v.getConfigMap().getItems(),
                    Boolean.TRUE.equals(v.getConfigMap().getOptional()));
        } else if (v.getSecret() != null) {
            writeSecret(dir, v.getSecret().getSecretName(), v.getSecret().getItems(),
                    Boolean.TRUE.equals(v.getSecret().getOptional()));
        } else if (v.getDownwardAPI() != null) {
            writeDownward(dir, v.getDownwardAPI().getItems());
        } else if (v.getProjected() != null) {
            for (VolumeProjection src : list(v.getProjected().getSources())) {
                if (src.getConfigMap() != null) {
                    writeConfigMap(dir, src.getConfigMap().getName(), src.getConfigMap().getItems(),
                            Boolean.TRUE.equals(src.getConfigMap().getOptional()));
                } else if (src.getSecret() != null) {
                    writeSecret(dir, src.getSecret().getName(), src.getSecret().getItems(),
                            Boolean.TRUE.equals(src.getSecret().getOptional()));
                } else if (src.getDownwardAPI() != null) {
                    writeDownward(dir, src.getDownwardAPI().getItems());
                } else if (src.getServiceAccountToken() != null) {
                    writeFile(dir, src.getServiceAccountToken().getPath(), serviceAccountToken(
                            src.getServiceAccountToken().getAudience(),
                            src.getServiceAccountToken().getExpirationSeconds()).getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        // emptyDir and anything else: an empty directory of the pod
        return dir;
    }

    private String serviceAccountToken(String audience, Long expirationSeconds) throws NotReady {
        String sa = Optional.ofNullable(latest.getSpec().getServiceAccountName()).orElse("default");
        TokenRequest req = new TokenRequestBuilder().withNewSpec()
                .withAudiences(audience == null || audience.isEmpty() ? List.of() : List.of(audience))
                .withExpirationSeconds(expirationSeconds == null ? 3607L : expirationSeconds)
                .withNewBoundObjectRef("v1", "Pod", name, uid).endSpec().build();
        try {
            return client.serviceAccounts().inNamespace(ns).withName(sa).tokenRequest(req).getStatus().getToken();
        } catch (KubernetesClientException e) {
            throw new NotReady("serviceaccount \"" + sa + "\" token: " + e.getMessage());
        }
    }

    private void writeConfigMap(Path dir, String cmName, List<KeyToPath> items, boolean optional)
            throws NotReady, IOException {
        ConfigMap cm = client.configMaps().inNamespace(ns).withName(cmName).get();
        if (cm == null) {
            if (optional) {
                return;
            }
            throw new NotReady("configmap \"" + cmName + "\" not found");
        }
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (cm.getData() != null) {
            cm.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
        }
        if (cm.getBinaryData() != null) {
            cm.getBinaryData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
        }
        writeKeys(dir, data, items, "configmap " + cmName);
    }

    private void writeSecret(Path dir, String secretName, List<KeyToPath> items, boolean optional)
            throws NotReady, IOException {
        Secret s = client.secrets().inNamespace(ns).withName(secretName).get();
        if (s == null) {
            if (optional) {
                return;
            }
            throw new NotReady("secret \"" + secretName + "\" not found");
        }
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (s.getData() != null) {
            s.getData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
        }
        if (s.getStringData() != null) {
            s.getStringData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
        }
        writeKeys(dir, data, items, "secret " + secretName);
    }

    private static void writeKeys(Path dir, Map<String, byte[]> data, List<KeyToPath> items, String what)
            throws NotReady, IOException {
        if (items == null || items.isEmpty()) {
            for (Map.Entry<String, byte[]> e : data.entrySet()) {
                writeFile(dir, e.getKey(), e.getValue());
            }
            return;
        }
        for (KeyToPath item : items) {
            byte[] value = data.get(item.getKey());
            if (value == null) {
                throw new NotReady(what + " has no key \"" + item.getKey() + "\"");
            }
            writeFile(dir, item.getPath(), value);
        }
    }

    private void writeDownward(Path dir, List<DownwardAPIVolumeFile> items) throws IOException {
        for (DownwardAPIVolumeFile f : list(items)) {
            String value = f.getFieldRef() != null ? fieldRef(f.getFieldRef())
                    : f.getResourceFieldRef() != null ? resource(f.getResourceFieldRef().getContainerName(),
                    f.getResourceFieldRef().getResource()) : "";
            writeFile(dir, f.getPath(), value.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void writeFile(Path dir, String relative, byte[] content) throws IOException {
        Path target = dir.resolve(relative).normalize();
        if (!target.startsWith(dir)) {
            throw new IOException("volume item path escapes its volume: " + relative);
        }
        Files.createDirectories(target.getParent());
        Files.write(target, content);
    }

    // --- containers --------------------------------------------------------------------------------------------

    /** Starts one container's process; false (status written) when its image cannot run here. */
    private boolean startContainer(ContainerRun r, Map<String, Path> volumes) throws IOException {
        Container c = r.spec;
        Path cdir = root.resolve("containers").resolve(c.getName());
        Path rootfs = cdir.resolve("rootfs");
        Files.createDirectories(rootfs);
        Map<String, String> mapping = new LinkedHashMap<>();
        for (VolumeMount m : list(c.getVolumeMounts())) {
            Path volume = volumes.get(m.getName());
            if (volume == null) {
                return containerError(r, "CreateContainerConfigError", "volume mount \"" + m.getName()
                        + "\" names no volume of the pod");
            }
            Path source = m.getSubPath() == null || m.getSubPath().isEmpty() ? volume : volume.resolve(m.getSubPath());
            Path link = rootfs.resolve(stripLeadingSlash(m.getMountPath()));
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, source.toAbsolutePath());
            mapping.put(m.getMountPath(), link.toString());
        }
        String termPath = c.getTerminationMessagePath() == null ? "/dev/termination-log" : c.getTerminationMessagePath();
        r.termFile = rootfs.resolve(stripLeadingSlash(termPath));
        Files.createDirectories(r.termFile.getParent());
        Files.deleteIfExists(r.termFile);
        mapping.put(termPath, r.termFile.toString());
        PathRewriter paths = new PathRewriter(mapping);

        Map<String, String> env = environment(c, paths, rootfs, r.termFile);
        List<String> command = expandAll(c.getCommand(), env);
        List<String> args = expandAll(c.getArgs(), env);
        String[] why = new String[1];
        Optional<ImageMap.Launch> launch = config.images().launch(c.getImage(), paths.rewriteAll(command),
                paths.rewriteAll(args), why);
        if (launch.isEmpty()) {
            return containerError(r, "ErrImagePull", why[0]);
        }
        if (launch.get().trainer()) {
            env.putAll(config.images().trainerEnv());
        }
        Path workDir;
        if (c.getWorkingDir() != null && !c.getWorkingDir().isEmpty()) {
            String rewritten = paths.rewrite(c.getWorkingDir());
            workDir = rewritten.equals(c.getWorkingDir()) ? rootfs.resolve(stripLeadingSlash(rewritten))
                    : Path.of(rewritten);
        } else {
            workDir = launch.get().trainer() && config.trainerWorkDir() != null ? config.trainerWorkDir() : cdir;
        }
        Files.createDirectories(workDir);
        r.log = cdir.resolve("output.log");
        long logSize = Files.exists(r.log) ? Files.size(r.log) : 0;
        if (r.startedAt != null) { // a restart: the run before this one is what `kubectl logs --previous` shows
            r.previousStart = r.runStart;
            r.previousEnd = logSize;
        }
        r.runStart = logSize;
        ProcessBuilder pb = new ProcessBuilder(launch.get().argv()).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(r.log.toFile()));
        pb.environment().clear();
        pb.environment().putAll(env);
        synchronized (this) {
            if (terminating) {
                return false;
            }
            r.process = pb.start();
            r.startedAt = Instant.now();
            r.exitCode = null;
            r.waitingReason = null;
            r.waitingMessage = null;
        }
        LOG.info(() -> ns + "/" + name + "/" + c.getName() + " started as pid " + r.process.pid() + " on " + podIp
                + ": " + String.join(" ", launch.get().argv()));
        if (runs.containsValue(r)) {
            Process p = r.process;
            p.onExit().thenAccept(done -> onMainExit(r, p));
        }
        return true;
    }

    private boolean containerError(ContainerRun r, String reason, String message) {
        synchronized (this) {
            r.waitingReason = reason;
            r.waitingMessage = message;
        }
        LOG.warning(ns + "/" + name + "/" + r.spec.getName() + ": " + reason + ": " + message);
        writeStatus();
        return false;
    }

    private void onMainExit(ContainerRun r, Process p) {
        recordExit(r, p.exitValue());
        boolean restart;
        synchronized (this) {
            restart = !terminating && PodPhases.restarts(latest.getSpec().getRestartPolicy(), r.exitCode);
        }
        if (restart) {
            r.restarts++;
            workers.submit(() -> {
                try {
                    Thread.sleep(1000); // why: a crash loop must not spin the CPU
                    Map<String, Path> volumes = prepareVolumesWithRetry();
                    if (volumes != null) {
                        startContainer(r, volumes);
                        writeStatus();
                    }
                } catch (Exception e) {
                    LOG.warning(ns + "/" + name + ": restart failed: " + e);
                }
            });
            writeStatus();
            return;
        }
        finishIfDone();
    }

    private void recordExit(ContainerRun r, int code) {
        synchronized (this) {
            if (r.exitCode != null) {
                return; // why: the exit callback and stopProcesses() both see the same exit
            }
            r.exitCode = code;
            r.finishedAt = Instant.now();
            r.terminationMessage = terminationMessage(r, code);
        }
        killLeftovers(r);
        LOG.info(() -> ns + "/" + name + "/" + r.spec.getName() + " exited with " + code
                + (r.terminationMessage == null ? "" : ": " + r.terminationMessage));
    }

    private void finishIfDone() {
        boolean done;
        synchronized (this) {
            done = runs.values().stream().allMatch(r -> r.exitCode != null || r.process == null)
                    || initRuns.values().stream().anyMatch(r -> r.exitCode != null && r.exitCode != 0);
            if (done) {
                finished = true;
            }
        }
        writeStatus();
    }

    private String terminationMessage(ContainerRun r, int code) {
        String msg = "";
        try {
            if (r.termFile != null && Files.isRegularFile(r.termFile)) {
                byte[] b = Files.readAllBytes(r.termFile);
                msg = new String(b, 0, Math.min(b.length, MAX_TERMINATION_MESSAGE), StandardCharsets.UTF_8);
            }
            if (msg.isBlank() && code != 0 && "FallbackToLogsOnError".equals(r.spec.getTerminationMessagePolicy())
                    && r.log != null) {
                msg = tail(r.log, 2048);
            }
        } catch (IOException e) {
            msg = "";
        }
        return msg.isBlank() ? null : msg.strip();
    }

    private Map<String, String> environment(Container c, PathRewriter paths, Path rootfs, Path termFile) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String k : List.of("PATH", "HOME", "JAVA_HOME", "LANG", "USER")) {
            String v = System.getenv(k);
            if (v != null) {
                env.put(k, v);
            }
        }
        env.put("HOSTNAME", name);
        for (EnvFromSource from : list(c.getEnvFrom())) {
            String prefix = from.getPrefix() == null ? "" : from.getPrefix();
            if (from.getConfigMapRef() != null) {
                ConfigMap cm = client.configMaps().inNamespace(ns).withName(from.getConfigMapRef().getName()).get();
                if (cm != null && cm.getData() != null) {
                    cm.getData().forEach((k, v) -> env.put(prefix + k, v));
                }
            }
            if (from.getSecretRef() != null) {
                Secret s = client.secrets().inNamespace(ns).withName(from.getSecretRef().getName()).get();
                if (s != null && s.getData() != null) {
                    s.getData().forEach((k, v) -> env.put(prefix + k,
                            new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
                }
            }
        }
        for (EnvVar e : list(c.getEnv())) {
            String value;
            if (e.getValueFrom() == null) {
                value = expand(e.getValue() == null ? "" : e.getValue(), env);
            } else if (e.getValueFrom().getFieldRef() != null) {
                value = fieldRef(e.getValueFrom().getFieldRef());
            } else if (e.getValueFrom().getSecretKeyRef() != null) {
                var ref = e.getValueFrom().getSecretKeyRef();
                Secret s = client.secrets().inNamespace(ns).withName(ref.getName()).get();
                String enc = s == null || s.getData() == null ? null : s.getData().get(ref.getKey());
                value = enc == null ? "" : new String(Base64.getDecoder().decode(enc), StandardCharsets.UTF_8);
            } else if (e.getValueFrom().getConfigMapKeyRef() != null) {
                var ref = e.getValueFrom().getConfigMapKeyRef();
                ConfigMap cm = client.configMaps().inNamespace(ns).withName(ref.getName()).get();
                value = cm == null || cm.getData() == null ? "" : cm.getData().getOrDefault(ref.getKey(), "");
            } else if (e.getValueFrom().getResourceFieldRef() != null) {
                var ref = e.getValueFrom().getResourceFieldRef();
                value = resource(ref.getContainerName() == null ? c.getName() : ref.getContainerName(),
                        ref.getResource());
            } else {
                value = "";
            }
            env.put(e.getName(), value);
        }
        env.replaceAll((k, v) -> paths.rewrite(v));
        // Trainer contract: keep the termination log and the pvc:// root inside the pod's own directory.
        env.putIfAbsent("ANNEALER_TERMINATION_LOG", termFile.toString());
        env.putIfAbsent("ANNEALER_PVC_ROOT", rootfs.resolve("mnt/pvc").toString());
        return env;
    }

    private String fieldRef(ObjectFieldSelector ref) {
        String path = ref.getFieldPath();
        Pod p = latest;
        Matcher m = Pattern.compile("metadata\\.(labels|annotations)\\['(.*)'\\]").matcher(path);
        if (m.matches()) {
            Map<String, String> map = "labels".equals(m.group(1)) ? p.getMetadata().getLabels()
                    : p.getMetadata().getAnnotations();
            return map == null ? "" : map.getOrDefault(m.group(2), "");
        }
        return switch (path) {
            case "metadata.name" -> name;
            case "metadata.namespace" -> ns;
            case "metadata.uid" -> uid;
            case "spec.nodeName" -> p.getSpec().getNodeName();
            case "spec.serviceAccountName" -> Optional.ofNullable(p.getSpec().getServiceAccountName()).orElse("default");
            case "status.podIP", "status.podIPs" -> podIp;
            case "status.hostIP", "status.hostIPs" -> "127.0.0.1";
            default -> "";
        };
    }

    private String resource(String containerName, String resource) {
        Container c = latest.getSpec().getContainers().stream().filter(x -> x.getName().equals(containerName))
                .findFirst().orElse(null);
        if (c == null || c.getResources() == null) {
            return "0";
        }
        String[] kind = resource.split("\\.", 2);
        Map<String, Quantity> m = "limits".equals(kind[0]) ? c.getResources().getLimits() : c.getResources().getRequests();
        Quantity q = m == null || kind.length < 2 ? null : m.get(kind[1]);
        if (q == null) {
            return "0";
        }
        return "cpu".equals(kind[1]) ? String.valueOf((long) Math.ceil(Quantity.getAmountInBytes(q).doubleValue()))
                : Quantity.getAmountInBytes(q).toBigInteger().toString();
    }

    private static List<String> expandAll(List<String> values, Map<String, String> env) {
        return values == null ? List.of() : values.stream().map(v -> expand(v, env)).toList();
    }

    /** Kubernetes {@code $(VAR)} expansion: defined variables are replaced, {@code $$} is a literal {@code $}. */
    static String expand(String value, Map<String, String> env) {
        Matcher m = VAR_REF.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) == null ? "\\$" : env.containsKey(m.group(1))
                    ? Matcher.quoteReplacement(env.get(m.group(1))) : Matcher.quoteReplacement(m.group());
            m.appendReplacement(sb, replacement);
        }
        m.appendTail(sb);
        return sb.toString();
    }

    // --- logs --------------------------------------------------------------------------------------------------

    String namespace() {
        return ns;
    }

    String name() {
        return name;
    }

    /** True once the pod object is being deleted. */
    boolean deleting() {
        return latest.getMetadata().getDeletionTimestamp() != null;
    }

    /** The output of container {@code container} (a main or an init container): its current or previous run. */
    synchronized ContainerLogs.Lookup log(String container, boolean previous) {
        ContainerRun r = runs.containsKey(container) ? runs.get(container) : initRuns.get(container);
        if (r == null) {
            List<String> names = new ArrayList<>(runs.keySet());
            names.addAll(initRuns.keySet());
            return names.isEmpty()
                    ? ContainerLogs.Lookup.badRequest("pod " + ns + "/" + name + " has not started its containers yet")
                    : ContainerLogs.Lookup.badRequest("container " + container + " is not valid for pod " + name
                            + ": choose one of " + names);
        }
        if (previous) {
            if (r.previousStart < 0) {
                return ContainerLogs.Lookup.badRequest("previous terminated container \"" + container + "\" in pod \""
                        + name + "\" not found");
            }
            return ContainerLogs.Lookup.found(new ContainerLogs.Range(r.log, r.previousStart, r.previousEnd, () -> false));
        }
        if (r.log == null || r.startedAt == null) {
            return ContainerLogs.Lookup.badRequest("container \"" + container + "\" in pod \"" + name
                    + "\" is waiting to start: " + (r.waitingReason == null ? "ContainerCreating" : r.waitingReason));
        }
        return ContainerLogs.Lookup.found(new ContainerLogs.Range(r.log, r.runStart, -1, () -> {
            Process p = r.process;
            return p != null && p.isAlive();
        }));
    }

    // --- termination -------------------------------------------------------------------------------------------

    private void terminateAndConfirm() {
        Long grace = latest.getMetadata().getDeletionGracePeriodSeconds();
        int seconds = grace == null ? 30 : grace.intValue();
        stopProcesses(seconds);
        boolean ran;
        synchronized (this) {
            finished = true;
            ran = startTime != null;
        }
        if (ran) { // why: a pod that never ran here (terminal before the agent started) keeps its status
            writeStatus();
        }
        try {
            client.pods().inNamespace(ns).withName(name).withGracePeriod(0).delete();
            LOG.info(() -> "deleted " + ns + "/" + name + " after graceful termination");
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                LOG.warning("cannot confirm deletion of " + ns + "/" + name + ": " + e.getMessage());
            }
        }
        ips.release(podIp);
    }

    /** SIGTERM to every running container, up to {@code graceSeconds} to exit, then SIGKILL; waits for the exits. */
    void stopProcesses(int graceSeconds) {
        List<ContainerRun> all;
        synchronized (this) {
            terminating = true;
            all = new ArrayList<>(initRuns.values());
            all.addAll(runs.values());
        }
        List<ContainerRun> alive = all.stream().filter(r -> r.process != null && r.process.isAlive()).toList();
        for (ContainerRun r : alive) {
            r.descendants = r.process.descendants().toList();
            r.process.destroy(); // SIGTERM, as a container runtime sends to PID 1
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds);
        for (ContainerRun r : alive) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!r.process.waitFor(left, TimeUnit.NANOSECONDS)) {
                    LOG.info(() -> ns + "/" + name + "/" + r.spec.getName() + " still running after "
                            + graceSeconds + " s: SIGKILL");
                    r.process.destroyForcibly();
                    r.process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                r.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            if (r.exitCode == null && !r.process.isAlive()) {
                recordExit(r, r.process.exitValue());
            }
            killLeftovers(r);
        }
    }

    /** Called when the pod object is gone: nothing to report any more, just stop. */
    void forceStop() {
        stopProcesses(0);
        ips.release(podIp);
    }

    /** Processes a container left behind (children of a shell) die with it, as in a PID namespace. */
    private static void killLeftovers(ContainerRun r) {
        for (ProcessHandle h : r.descendants) {
            h.destroyForcibly();
        }
        if (r.process != null) {
            r.process.descendants().forEach(ProcessHandle::destroyForcibly);
        }
    }

    // --- status ------------------------------------------------------------------------------------------------

    /** Writes the pod status from the current state; keeps conditions others own (PodScheduled, DisruptionTarget). */
    private void writeStatus() {
        try {
            Retry.onConflict(() -> client.pods().inNamespace(ns).withName(name).editStatus(p -> {
                synchronized (this) {
                    applyStatus(p);
                }
                return p;
            }));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                LOG.warning("cannot update status of " + ns + "/" + name + ": " + e.getMessage());
            }
        }
    }

    private void applyStatus(Pod p) {
        PodStatus s = p.getStatus() == null ? new PodStatus() : p.getStatus();
        p.setStatus(s);
        String now = Instant.now().toString();
        s.setHostIP("127.0.0.1");
        s.setHostIPs(List.of(new HostIP("127.0.0.1")));
        if (podIp != null) {
            s.setPodIP(podIp);
            s.setPodIPs(List.of(new PodIP(podIp)));
        }
        if (startTime != null && s.getStartTime() == null) {
            s.setStartTime(startTime.toString());
        }
        List<ContainerStatus> init = initRuns.values().stream().map(r -> containerStatus(r, true)).toList();
        List<ContainerStatus> main = runs.values().stream().map(r -> containerStatus(r, false)).toList();
        if (!init.isEmpty()) {
            s.setInitContainerStatuses(init);
        }
        s.setContainerStatuses(main);
        boolean initDone = initRuns.values().stream().allMatch(r -> r.exitCode != null && r.exitCode == 0);
        boolean initFailed = initRuns.values().stream().anyMatch(r -> r.exitCode != null && r.exitCode != 0);
        boolean allStarted = runs.values().stream().allMatch(r -> r.startedAt != null);
        boolean allRunning = runs.values().stream().allMatch(r -> r.process != null && r.exitCode == null);
        String phase;
        if (initFailed) {
            phase = "Failed";
        } else if (!allStarted) {
            phase = finished ? "Failed" : "Pending";
        } else {
            List<PodPhases.Exit> exits = runs.values().stream()
                    .map(r -> r.exitCode == null ? null : new PodPhases.Exit(r.exitCode)).toList();
            phase = PodPhases.phase(exits);
        }
        s.setPhase(phase);
        boolean ready = allRunning && "Running".equals(phase);
        upsert(s, "PodReadyToStartContainers", podIp != null && !finished, now);
        upsert(s, "Initialized", initDone, now);
        upsert(s, "ContainersReady", ready, now);
        upsert(s, "Ready", ready, now);
    }

    private ContainerStatus containerStatus(ContainerRun r, boolean init) {
        ContainerStatusBuilder b = new ContainerStatusBuilder().withName(r.spec.getName()).withImage(r.spec.getImage())
                .withImageID("devcluster://" + r.spec.getImage()).withRestartCount(r.restarts);
        if (r.process != null) {
            b.withContainerID("devcluster://" + r.process.pid());
        }
        if (r.exitCode != null) {
            b.withReady(false).withStarted(false).withState(new ContainerStateBuilder().withNewTerminated()
                    .withExitCode(r.exitCode).withReason(PodPhases.reason(r.exitCode))
                    .withMessage(r.terminationMessage).withStartedAt(str(r.startedAt))
                    .withFinishedAt(str(r.finishedAt))
                    .withContainerID(r.process == null ? null : "devcluster://" + r.process.pid())
                    .endTerminated().build());
        } else if (r.process != null) {
            b.withReady(!init).withStarted(true).withState(new ContainerStateBuilder().withNewRunning()
                    .withStartedAt(str(r.startedAt)).endRunning().build());
        } else {
            b.withReady(false).withStarted(false).withState(new ContainerStateBuilder().withNewWaiting()
                    .withReason(r.waitingReason).withMessage(r.waitingMessage).endWaiting().build());
        }
        return b.build();
    }

    private static void upsert(PodStatus s, String type, boolean status, String now) {
        List<PodCondition> conds = s.getConditions() == null ? new ArrayList<>() : new ArrayList<>(s.getConditions());
        String value = status ? "True" : "False";
        PodCondition existing = conds.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
        if (existing == null) {
            conds.add(new PodConditionBuilder().withType(type).withStatus(value).withLastTransitionTime(now).build());
        } else if (!value.equals(existing.getStatus())) {
            existing.setStatus(value);
            existing.setLastTransitionTime(now);
        }
        s.setConditions(conds);
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private static String str(Instant t) {
        return t == null ? null : t.toString();
    }

    private static String stripLeadingSlash(String p) {
        return p.startsWith("/") ? p.substring(1) : p;
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }

    private static String tail(Path file, int maxBytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long start = Math.max(0, f.length() - maxBytes);
            f.seek(start);
            byte[] b = new byte[(int) (f.length() - start)];
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
