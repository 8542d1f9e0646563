package dev.annealer.e2e;

import dev.annealer.devcluster.CommandResult;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.annealer.e2e.E2eEnvironment.conditionReason;
import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * FineTuneJobs queued through the real Kueue (built from the Go module proxy, its webhooks on loopback) with a
 * ClusterQueue of one GPU: each job is ONE Workload for its whole life; a second job stays Pending with Kueue's
 * reason and no pod; a higher-priority job preempts the running one, which checkpoints on SIGTERM, is counted as a
 * preemption (not a failure), waits, is admitted again and resumes at its checkpoint with the parameters of an
 * uninterrupted run. The admitted flavor's node labels end up in the trainer pod's node selector.
 */
@ExtendWith(E2eExtension.class)
class KueueE2E {

    private static final String FLAVOR_LABEL = "e2e.annealer.dev/gpu-flavor";
    private static final String WORKLOADS = "workloads.kueue.x-k8s.io";

    @Test
    void oneWorkloadPerJobQueuedPreemptedByPriorityAndResumedExactly(E2eEnvironment env) throws Exception {
        env.kueue();
        KubernetesClient c = env.client();
        String ns = env.namespace("e2e-kueue");
        for (Node n : c.nodes().list().getItems()) {
            c.nodes().withName(n.getMetadata().getName()).edit(x -> {
                x.getMetadata().getLabels().put(FLAVOR_LABEL, "one-gpu");
                return x;
            });
        }
        applyYaml(env, ns, "queues", """
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: ResourceFlavor
                metadata: {name: e2e-gpu}
                spec:
                  nodeLabels: {%s: one-gpu}
                ---
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: ClusterQueue
                metadata: {name: e2e-one-gpu}
                spec:
                  namespaceSelector: {}
                  preemption: {withinClusterQueue: LowerPriority}
                  resourceGroups:
                  - coveredResources: [cpu, memory, nvidia.com/gpu]
                    flavors:
                    - name: e2e-gpu
                      resources:
                      - {name: cpu, nominalQuota: 8}
                      - {name: memory, nominalQuota: 32Gi}
                      - {name: nvidia.com/gpu, nominalQuota: 1}
                ---
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: LocalQueue
                metadata: {name: team, namespace: %s}
                spec: {clusterQueue: e2e-one-gpu}
                ---
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: WorkloadPriorityClass
                metadata: {name: e2e-urgent}
                value: 1000
                description: preempts the e2e's ordinary jobs
                """.formatted(FLAVOR_LABEL, ns));
        env.await("ClusterQueue e2e-one-gpu Active", Duration.ofMinutes(1), ns, "a", () -> "True".equals(
                env.kubectl("get", "clusterqueue", "e2e-one-gpu", "-o",
                        "jsonpath={.status.conditions[?(@.type=='Active')].status}").stdout().trim()));

        // --- job a is admitted and trains on the flavor's nodes -----------------------------------------------
        Jobs.apply(env, ns, queued(env, "a", null, true));
        env.await("a training, status.step >= 150", Duration.ofMinutes(4), ns, "a",
                () -> statusLong(env.job(ns, "a").get(), "step") >= 150);
        Pod a1 = c.pods().inNamespace(ns).withName("a-1").get();
        assertThat(a1.getSpec().getNodeSelector()).as("the admitted flavor's node labels").containsEntry(FLAVOR_LABEL, "one-gpu");
        assertThat(a1.getMetadata().getLabels()).doesNotContainKey("kueue.x-k8s.io/queue-name");
        GenericKubernetesResource wlA = onlyWorkloadOf(env, ns, "a");
        String wlAUid = wlA.getMetadata().getUid();
        String jobYaml = c.configMaps().inNamespace(ns).withName("a-spec").get().getData().get("job.yaml");

        // --- job b finds no quota: Pending with Kueue's reason, no pod ----------------------------------------
        Jobs.apply(env, ns, queued(env, "b", null, true));
        env.await("b waits for admission with Kueue's reason", Duration.ofMinutes(1), ns, "b", () -> {
            GenericKubernetesResource b = env.job(ns, "b").get();
            return "WaitingForAdmission".equals(conditionReason(b, "Running")) && conditionMessage(b, "Running")
                    .contains("insufficient unused quota for nvidia.com/gpu");
        });
        GenericKubernetesResource b = env.job(ns, "b").get();
        assertThat(status(b, "phase")).isEqualTo("Pending");
        assertThat(statusLong(b, "attempt")).isZero();
        Thread.sleep(2000);
        assertThat(env.podsEverSeen(ns, "b-")).as("no pod while not admitted").isEmpty();
        assertThat(onlyWorkloadOf(env, ns, "b").getAdditionalProperties().toString()).contains("QuotaReserved");
        CommandResult del = env.kubectl("delete", "ftj", "b", "-n", ns, "--wait=true");
        assertThat(del.ok()).as(del.describe()).isTrue();

        // --- a higher-priority job preempts a through Kueue ---------------------------------------------------
        Jobs.apply(env, ns, queued(env, "urgent", "e2e-urgent", false));
        env.await("a preempted by Kueue and waiting for re-admission", Duration.ofMinutes(3), ns, "a", () -> {
            GenericKubernetesResource a = env.job(ns, "a").get();
            return statusLong(a, "preemptions") == 1 && "WaitingForAdmission".equals(conditionReason(a, "Running"));
        });
        GenericKubernetesResource waiting = env.job(ns, "a").get();
        assertThat(conditionMessage(waiting, "Running")).contains("Kueue evicted Workload " + wlA.getMetadata().getName(),
                "(Preempted)");
        assertThat(statusLong(waiting, "failures")).isZero();
        ContainerStateTerminated t = env.lastSeen(ns, "a-1").getStatus().getContainerStatuses().get(0).getState()
                .getTerminated();
        assertThat(t.getExitCode()).as("the trainer checkpointed on SIGTERM").isEqualTo(75);
        Matcher m = Pattern.compile("^checkpointed after preemption: step=(\\d+) checkpoint=step-\\d{12}$").matcher(t.getMessage());
        assertThat(m.matches()).as("termination message %s", t.getMessage()).isTrue();
        long checkpointedAt = Long.parseLong(m.group(1));

        // kubectl annealer status shows what a user needs while the job waits
        CommandResult st = env.kubectlAnnealer("-n", ns, "status", "a");
        assertThat(st.ok()).as(st.describe()).isTrue();
        System.err.println("e2e: kubectl annealer status a (waiting)\n" + st.stdout());
        assertThat(st.stdout()).contains("FineTuneJob " + ns + "/a", "preemptions 1, failures 0", "queue:        team",
                "kueue:        workload " + wlA.getMetadata().getName(), "EvictedByKueue");
        env.await("urgent Succeeded", Duration.ofMinutes(4), ns, "urgent",
                () -> "Succeeded".equals(status(env.job(ns, "urgent").get(), "phase")));
        env.await("a Succeeded after re-admission", Duration.ofMinutes(6), ns, "a", () -> {
            Object phase = status(env.job(ns, "a").get(), "phase");
            if ("Failed".equals(phase)) {
                throw new AssertionError("a Failed:\n" + env.dump(ns, "a"));
            }
            return "Succeeded".equals(phase);
        });

        // --- one workload per job, for the job's whole life; a resumed exactly --------------------------------
        GenericKubernetesResource done = env.job(ns, "a").get();
        assertThat(statusLong(done, "preemptions")).isEqualTo(1);
        assertThat(statusLong(done, "failures")).isZero();
        assertThat(env.podsEverSeen(ns, "a-")).containsExactly("a-1", "a-2");
        GenericKubernetesResource wlAEnd = onlyWorkloadOf(env, ns, "a");
        assertThat(wlAEnd.getMetadata().getUid()).as("the same Workload before and after the preemption").isEqualTo(wlAUid);
        assertThat(wlAEnd.getAdditionalProperties().toString()).contains("type=Finished");
        env.await("b's Workload garbage-collected with b", Duration.ofMinutes(1), ns, "a",
                () -> workloads(env, ns).size() == 2);
        CommandResult get = env.kubectl("get", WORKLOADS, "-n", ns);
        System.err.println("e2e: kubectl get workloads -n " + ns + "\n" + get.stdout());
        assertThat(workloads(env, ns)).extracting(w -> w.getMetadata().getOwnerReferences().get(0).getName())
                .containsExactlyInAnyOrder("a", "urgent");
        CommandResult events = env.kubectl("get", "events", "-n", ns, "--field-selector", "involvedObject.name=a");
        assertThat(events.stdout()).contains("EvictedByKueue", "Preempted", "Resumed");

        CommandResult fin = env.kubectlAnnealer("-n", ns, "status", "a");
        System.err.println("e2e: kubectl annealer status a (done)\n" + fin.stdout());
        assertThat(fin.stdout()).contains("phase:        Succeeded", "attempt:      2 (pod a-2)", " Finished",
                "step:         " + Jobs.SHORT_STEPS);
        CommandResult logs = env.kubectlAnnealer("-n", ns, "logs", "b");
        assertThat(logs.ok()).as("b is gone").isFalse();

        TrainerLog log1 = TrainerLog.parse(env.podLogText(ns, "a-1"));
        TrainerLog log2 = TrainerLog.parse(env.podLogText(ns, "a-2"));
        assertThat(log2.resumedAt()).as("resumed at the SIGTERM checkpoint").hasValue(checkpointedAt);
        TrainerLog ref = env.uninterrupted("kueue-a", jobYaml);
        RunComparison.Result r = RunComparison.compare(List.of(log1, log2),
                TrainerLog.field(String.valueOf(status(done, "lastTerminationMessage")), "paramsSha256").orElse(null), ref);
        assertThat(r.differences()).isEmpty();
        assertThat(r.lrContinuous()).as("the exact LR at the resume").isTrue();
        assertThat(r.paramsMatch()).isTrue();
    }

    /** The short quickstart asking for the GPU (CPU fallback: the devcluster's GPU is a placeholder), queued. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> queued(E2eEnvironment env, String name, String priorityClass, boolean full)
            throws Exception {
        Map<String, Object> job = Jobs.shortQuickstart(env.root(), name);
        Map<String, Object> labels = new HashMap<>(Map.of("kueue.x-k8s.io/queue-name", "team"));
        if (priorityClass != null) {
            labels.put("kueue.x-k8s.io/priority-class", priorityClass);
        }
        ((Map<String, Object>) job.get("metadata")).put("labels", labels);
        Jobs.spec(job, "resources").put("gpus", 1);
        Jobs.spec(job, "resources").put("allowCpuFallback", true);
        if (!full) {
            // a short job that still passes admission: warmup and the checkpoint interval fit in its budget
            Jobs.spec(job, "training").put("maxSteps", 60);
            Jobs.spec(job, "schedule").remove("maxCycles");
            ((Map<String, Object>) Jobs.spec(job, "schedule").get("warmup")).put("steps", 10);
            Jobs.spec(job, "checkpoint").put("everySteps", 30);
        }
        return job;
    }

    private static void applyYaml(E2eEnvironment env, String ns, String name, String yaml) throws Exception {
        Path file = env.out().resolve("manifests").resolve(ns + "-" + name + ".yaml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, yaml);
        CommandResult r = env.kubectl("apply", "-f", file.toString());
        assertThat(r.ok()).as("through Kueue's webhooks: " + r.describe()).isTrue();
    }

    private static List<GenericKubernetesResource> workloads(E2eEnvironment env, String ns) {
        return env.client().genericKubernetesResources("kueue.x-k8s.io/v1beta2", "Workload").inNamespace(ns).list()
                .getItems();
    }

    private static GenericKubernetesResource onlyWorkloadOf(E2eEnvironment env, String ns, String job) {
        List<GenericKubernetesResource> owned = workloads(env, ns).stream().filter(w -> w.getMetadata().getOwnerReferences()
                .stream().anyMatch(o -> "FineTuneJob".equals(o.getKind()) && job.equals(o.getName()))).toList();
        assertThat(owned).as("Workloads of job %s", job).hasSize(1);
        return owned.get(0);
    }

    @SuppressWarnings("unchecked")
    private static String conditionMessage(GenericKubernetesResource job, String type) {
        if (!(status(job, "conditions") instanceof List<?> list)) {
            return "";
        }
        return list.stream().map(o -> (Map<String, Object>) o).filter(x -> type.equals(x.get("type")))
                .map(x -> String.valueOf(x.get("message"))).findFirst().orElse("");
    }
}
