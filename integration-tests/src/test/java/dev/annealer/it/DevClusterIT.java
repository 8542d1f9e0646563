package dev.annealer.it;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.devcluster.ImageMap;
import dev.annealer.devcluster.NodeAgent;
import dev.annealer.it.controlplane.K8sBinaries;
import dev.annealer.it.support.Namespaces;
import dev.annealer.it.support.RepoFiles;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The devcluster: real etcd, kube-apiserver, kube-scheduler, kube-controller-manager and our node agent with one
 * GPU node. Checks what the E2E tests rely on: Ready nodes with GPU capacity, pods run as processes with their
 * volumes, env and termination message, claims get bound, the scheduler really preempts, deletion is graceful.
 */
class DevClusterIT {

    private static ControlPlane cp;
    private static NodeAgent agent;
    private static Path state;
    private static final List<Long> pids = new ArrayList<>();
    /** Last version of each pod seen by the informer, kept after the pod is deleted. */
    private static final Map<String, Pod> lastSeen = new ConcurrentHashMap<>();
    private static SharedIndexInformer<Pod> informer;

    @BeforeAll
    static void up() throws Exception {
        K8sBinaries.Lookup lookup = K8sBinaries.lookup(K8sBinaries.ALL);
        if (!lookup.found()) {
            RepoFiles.missing("the devcluster needs all five binaries: " + lookup.missingReason());
        }
        state = Files.createTempDirectory("devcluster-it-");
        Path logs = Path.of(System.getProperty("annealer.it.logs", "target/control-plane")).resolve("devcluster");
        cp = new ControlPlane(lookup.folder(), state.resolve("control-plane"), logs, true, List.of()).start();
        agent = new NodeAgent(cp.adminClient(), new NodeAgent.Config(1, 1, "4", "16Gi", state,
                new ImageMap("java", List.of(), null), state, "v1.37.2")).start();
        informer = cp.adminClient().pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                remember(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                remember(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknownFinalState) {
                // keep the last state seen before the deletion
            }
        });
        await("node Ready").atMost(Duration.ofSeconds(60)).until(() -> ready(cp.adminClient().nodes()
                .withName("devcluster-gpu-0").get()));
    }

    @AfterAll
    static void down() {
        if (informer != null) {
            informer.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (cp != null) {
            cp.close();
        }
        // No pod process survives the agent.
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d alive", pid).isFalse();
        }
    }

    private static void remember(Pod pod) {
        lastSeen.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), pod);
        if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
            pod.getStatus().getContainerStatuses().stream().map(cs -> cs.getContainerID())
                    .filter(id -> id != null && id.startsWith("devcluster://"))
                    .map(id -> Long.parseLong(id.substring("devcluster://".length())))
                    .forEach(pid -> {
                        synchronized (pids) {
                            if (!pids.contains(pid)) {
                                pids.add(pid);
                            }
                        }
                    });
        }
    }

    @Test
    void nodeIsReadyWithGpuCapacityAndARenewedLease() {
        Node node = cp.adminClient().nodes().withName("devcluster-gpu-0").get();
        assertThat(node.getStatus().getAllocatable()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(node.getSpec().getTaints()).as("no not-ready taint").isNullOrEmpty();
        var lease = cp.adminClient().leases().inNamespace("kube-node-lease").withName("devcluster-gpu-0").get();
        assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("devcluster-gpu-0");
        assertThat(lease.getSpec().getRenewTime()).isNotNull();
    }

    @Test
    void podRunsWithItsConfigMapClaimEnvAndTerminationMessage() throws Exception {
        KubernetesClient c = cp.adminClient();
        String ns = Namespaces.create(c, "dc-run");
        c.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("spec").endMetadata()
                .addToData("job.yaml", "kind: FineTuneJob\n").build()).create();
        c.persistentVolumeClaims().inNamespace(ns).resource(new PersistentVolumeClaimBuilder().withNewMetadata()
                .withName("ckpt").endMetadata().withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build()).create();
        c.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("runner").endMetadata()
                .withNewSpec().withRestartPolicy("Never")
                .addNewContainer().withName("main").withImage("busybox").withCommand("sh", "-c")
                .withArgs("cat /etc/job/job.yaml > /var/ckpt/copy.yaml && "
                        + "echo \"succeeded: ip=$POD_IP job=$JOB $(cat /etc/job/job.yaml)\" > /dev/termination-log")
                .addNewEnv().withName("POD_IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP")
                .endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("JOB").withValue("$(HOSTNAME)-x").endEnv()
                .addNewVolumeMount().withName("spec").withMountPath("/etc/job").endVolumeMount()
                .addNewVolumeMount().withName("ckpt").withMountPath("/var/ckpt").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("spec").withNewConfigMap().withName("spec").endConfigMap().endVolume()
                .addNewVolume().withName("ckpt").withNewPersistentVolumeClaim().withClaimName("ckpt")
                .endPersistentVolumeClaim().endVolume()
                .endSpec().build()).create();

        Pod done = awaitPhase(ns, "runner", "Succeeded");
        String ip = done.getStatus().getPodIP();
        assertThat(ip).startsWith("127.0.");
        ContainerStateTerminated t = done.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(t.getExitCode()).isZero();
        assertThat(t.getReason()).isEqualTo("Completed");
        assertThat(t.getMessage()).isEqualTo("succeeded: ip=" + ip + " job=runner-x kind: FineTuneJob");
        var pvc = c.persistentVolumeClaims().inNamespace(ns).withName("ckpt").get();
        assertThat(pvc.getStatus().getPhase()).isEqualTo("Bound");
        String hostPath = c.persistentVolumes().withName(pvc.getSpec().getVolumeName()).get().getSpec().getHostPath()
                .getPath();
        assertThat(Path.of(hostPath, "copy.yaml")).hasContent("kind: FineTuneJob");
    }

    @Test
    void failedContainerReportsItsExitCodeAndLogTail() {
        KubernetesClient c = cp.adminClient();
        String ns = Namespaces.create(c, "dc-fail");
        c.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("crash").endMetadata()
                .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("main").withImage("busybox")
                .withCommand("sh", "-c", "echo 'failed: reason=BadRecord line 3'; exit 2")
                .withTerminationMessagePolicy("FallbackToLogsOnError").endContainer().endSpec().build()).create();

        Pod done = awaitPhase(ns, "crash", "Failed");
        ContainerStateTerminated t = done.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(t.getExitCode()).isEqualTo(2);
        assertThat(t.getReason()).isEqualTo("Error");
        assertThat(t.getMessage()).isEqualTo("failed: reason=BadRecord line 3");
    }

    @Test
    void schedulerPreemptsALowPriorityGpuPodWhichGetsSigtermAndItsGrace() {
        KubernetesClient c = cp.adminClient();
        String ns = Namespaces.create(c, "dc-preempt");
        c.pods().inNamespace(ns).resource(gpuPod("trainer", null, 20,
                "trap 'echo \"checkpointed after preemption: step=7 checkpoint=step-000000000007\" "
                        + "> /dev/termination-log; exit 75' TERM; while true; do sleep 0.1; done")).create();
        awaitPhase(ns, "trainer", "Running");

        c.scheduling().v1().priorityClasses().resource(new PriorityClassBuilder().withNewMetadata()
                .withName("devcluster-it-high").endMetadata().withValue(1_000_000).build()).createOr(r -> r.update());
        c.pods().inNamespace(ns).resource(gpuPod("hog", "devcluster-it-high", 1, "sleep 3600")).create();

        await("trainer preempted and deleted").atMost(Duration.ofSeconds(60))
                .until(() -> c.pods().inNamespace(ns).withName("trainer").get() == null);
        Pod last = lastSeen.get(ns + "/trainer");
        Optional<PodCondition> disruption = last.getStatus().getConditions().stream()
                .filter(pc -> "DisruptionTarget".equals(pc.getType())).findFirst();
        assertThat(disruption).get().satisfies(d -> {
            assertThat(d.getStatus()).isEqualTo("True");
            assertThat(d.getReason()).isEqualTo("PreemptionByScheduler");
        });
        ContainerStateTerminated t = last.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(t).as("final status written before the deletion was confirmed").isNotNull();
        assertThat(t.getExitCode()).isEqualTo(75);
        assertThat(t.getMessage()).isEqualTo("checkpointed after preemption: step=7 checkpoint=step-000000000007");
        assertThat(last.getStatus().getPhase()).isEqualTo("Failed");

        Pod hog = awaitPhase(ns, "hog", "Running");
        assertThat(hog.getSpec().getNodeName()).isEqualTo("devcluster-gpu-0");
        c.pods().inNamespace(ns).withName("hog").delete();
        await("GPU free again").atMost(Duration.ofSeconds(30))
                .until(() -> c.pods().inNamespace(ns).withName("hog").get() == null);
    }

    @Test
    void deletionEscalatesToSigkillAfterTheGracePeriod() {
        KubernetesClient c = cp.adminClient();
        String ns = Namespaces.create(c, "dc-kill");
        c.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("stubborn").endMetadata()
                .withNewSpec().withRestartPolicy("Never").withTerminationGracePeriodSeconds(2L).addNewContainer()
                .withName("main").withImage("busybox")
                .withCommand("sh", "-c", "trap '' TERM; while true; do sleep 0.1; done").endContainer().endSpec()
                .build()).create();
        awaitPhase(ns, "stubborn", "Running");
        long t0 = System.nanoTime();
        c.pods().inNamespace(ns).withName("stubborn").delete();
        await("deleted").atMost(Duration.ofSeconds(30))
                .until(() -> c.pods().inNamespace(ns).withName("stubborn").get() == null);
        double seconds = (System.nanoTime() - t0) / 1e9;
        ContainerStateTerminated t = lastSeen.get(ns + "/stubborn").getStatus().getContainerStatuses().get(0)
                .getState().getTerminated();
        assertThat(t.getExitCode()).as("SIGKILL").isEqualTo(137);
        assertThat(seconds).as("waited the 2 s grace period").isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void kubectlLogsShowsARunningAFinishedAndARestartedContainer() {
        KubernetesClient c = cp.adminClient();
        String ns = Namespaces.create(c, "dc-logs");
        c.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("talker").endMetadata()
                .withNewSpec().withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L).addNewContainer()
                .withName("main").withImage("busybox")
                .withCommand("sh", "-c", "for i in 1 2 3; do echo line $i; done; while true; do sleep 0.2; done")
                .endContainer().endSpec().build()).create();
        awaitPhase(ns, "talker", "Running");
        // kube-apiserver -> the node's InternalIP and kubelet port -> the node agent's log endpoint
        await("kubectl logs of the running pod").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(cp.kubectl("logs", "talker", "-n", ns).describe())
                        .contains("exit 0").contains("line 1\nline 2\nline 3\n"));
        assertThat(cp.kubectl("logs", "talker", "-n", ns, "--tail=1").stdout()).isEqualTo("line 3\n");
        assertThat(cp.kubectl("logs", "talker", "-n", ns, "-c", "main", "--limit-bytes=6").stdout()).isEqualTo("line 1");
        CommandResult wrong = cp.kubectl("logs", "talker", "-n", ns, "-c", "sidecar");
        assertThat(wrong.ok()).isFalse();
        assertThat(wrong.stderr()).contains("container sidecar is not valid for pod talker");

        // follow: streams until the container exits, then kubectl returns with everything
        c.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("done").endMetadata()
                .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("main").withImage("busybox")
                .withCommand("sh", "-c", "echo first; sleep 3; echo second").endContainer().endSpec().build()).create();
        awaitPhase(ns, "done", "Running");
        CommandResult followed = cp.kubectl("logs", "-f", "done", "-n", ns);
        assertThat(followed.describe()).contains("exit 0");
        assertThat(followed.stdout()).isEqualTo("first\nsecond\n");
        awaitPhase(ns, "done", "Succeeded");
        assertThat(cp.kubectl("logs", "done", "-n", ns).stdout()).as("a finished pod").isEqualTo("first\nsecond\n");

        // a restarted container: the current run, and the one before with --previous
        c.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("again").endMetadata()
                .withNewSpec().withRestartPolicy("OnFailure").withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("main").withImage("busybox")
                .withCommand("sh", "-c", "if [ -f /data/ran ]; then echo second run; while true; do sleep 0.2; done; "
                        + "else touch /data/ran; echo first run; exit 1; fi")
                .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount().endContainer()
                .addNewVolume().withName("data").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec().build()).create();
        await("restarted once").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Pod p = c.pods().inNamespace(ns).withName("again").get();
            return p != null && p.getStatus() != null && p.getStatus().getContainerStatuses() != null
                    && p.getStatus().getContainerStatuses().get(0).getRestartCount() == 1
                    && p.getStatus().getContainerStatuses().get(0).getState().getRunning() != null;
        });
        await("the second run's output").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> cp.kubectl("logs", "again", "-n", ns).stdout().equals("second run\n"));
        assertThat(cp.kubectl("logs", "again", "-n", ns, "--previous").stdout()).isEqualTo("first run\n");
        CommandResult noPrevious = cp.kubectl("logs", "talker", "-n", ns, "--previous");
        assertThat(noPrevious.ok()).isFalse();
        assertThat(noPrevious.stderr()).contains("previous terminated container \"main\" in pod \"talker\" not found");
    }

    private static Pod gpuPod(String name, String priorityClass, long grace, String script) {
        return new PodBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                .withRestartPolicy("Never").withPriorityClassName(priorityClass)
                .withTerminationGracePeriodSeconds(grace).addNewContainer().withName("main").withImage("busybox")
                .withCommand("sh", "-c", script).withNewResources().addToLimits("nvidia.com/gpu", new Quantity("1"))
                .endResources().endContainer().endSpec().build();
    }

    private static Pod awaitPhase(String ns, String name, String phase) {
        await(ns + "/" + name + " " + phase).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Pod p = cp.adminClient().pods().inNamespace(ns).withName(name).get();
                    return p != null && p.getStatus() != null && phase.equals(p.getStatus().getPhase());
                });
        return cp.adminClient().pods().inNamespace(ns).withName(name).get();
    }

    private static boolean ready(Node node) {
        return node != null && node.getStatus() != null && node.getStatus().getConditions() != null
                && node.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
