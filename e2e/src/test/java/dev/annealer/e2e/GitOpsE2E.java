package dev.annealer.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.devcluster.CommandResult;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The GitOps contract on the devcluster: what kstatus (sigs.k8s.io/cli-utils, as Flux uses it) and the chart's
 * Argo CD health check (Lua, run by gopher-lua) conclude from FineTuneJobs read from the API server in each phase;
 * {@code kubectl wait --for=condition=Ready} and {@code --for=condition=Succeeded}; and delete-safe checkpoints
 * (what Flux {@code force: true} or an Argo CD replace does): a running job is deleted, its trainer checkpoints on
 * SIGTERM before the finalizer goes, the Retain PVC stays (unowned), the same manifest is applied again and the new
 * job resumes at the checkpointed step, with the parameters of an uninterrupted run.
 */
@ExtendWith(E2eExtension.class)
class GitOpsE2E {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CHECKPOINTED = Pattern.compile(
            "^checkpointed after preemption: step=(\\d+) checkpoint=(step-\\d{12})$");

    @Test
    void statusToolsSeeEachPhaseAndADeletedRunningJobResumesWhenReapplied(E2eEnvironment env) throws Exception {
        KubernetesClient c = env.client();
        Path tool = statusCheck(env.root());
        String ns = env.namespace("e2e-gitops");

        // A rejected spec: Stalled -> kstatus Failed, Argo CD Degraded.
        Map<String, Object> rejected = Jobs.shortQuickstart(env.root(), "rejected");
        Jobs.spec(rejected, "schedule").put("maxCycles", 9);
        Jobs.apply(env, ns, rejected);
        env.await("rejected job Stalled", Duration.ofMinutes(1), ns, "rejected",
                () -> "True".equals(condition(env.job(ns, "rejected").get(), "Stalled")));
        assertVerdicts(env, tool, ns, "rejected", "Failed", "Degraded");

        // A job that fails at once (missing data file, no failure budget): kstatus Failed, Argo CD Degraded.
        Map<String, Object> broken = Jobs.shortQuickstart(env.root(), "broken");
        Jobs.spec(broken, "data").put("train", "examples/data/no-such-file.csv");
        Jobs.spec(broken, "failurePolicy").put("maxFailures", 0);
        Jobs.apply(env, ns, broken);

        // The job of the delete/re-create test: Pending (InProgress), then Ready.
        Map<String, Object> manifest = Jobs.shortQuickstart(env.root(), "gitops");
        String job = "gitops";
        Jobs.apply(env, ns, manifest);
        env.await("gitops Pending with its pod", Duration.ofMinutes(1), ns, job,
                () -> statusLong(env.job(ns, job).get(), "attempt") == 1);
        JsonNode pending = read(env, ns, job);
        if ("Pending".equals(pending.path("status").path("phase").asText())) {
            assertThat(verdict(tool, pending, "kstatus")).as("kstatus of a Pending job").isEqualTo("InProgress");
            assertThat(verdict(tool, pending, "lua")).isEqualTo("Progressing");
        }
        CommandResult ready = kubectlWait(env, ns, job, "Ready", 6);
        assertThat(ready.ok()).as("kubectl wait --for=condition=Ready: " + ready.describe()).isTrue();
        assertVerdicts(env, tool, ns, job, "Current", "Progressing");

        env.await("broken job Failed", Duration.ofMinutes(4), ns, "broken",
                () -> "Failed".equals(status(env.job(ns, "broken").get(), "phase")));
        assertVerdicts(env, tool, ns, "broken", "Failed", "Degraded");
        env.kubectl("delete", "ftj", "-n", ns, "rejected", "broken", "--wait=false");

        env.await("attempt 1 training, status.step >= 150", Duration.ofMinutes(4), ns, job,
                () -> statusLong(env.job(ns, job).get(), "step") >= 150);
        String jobYaml = c.configMaps().inNamespace(ns).withName(job + "-spec").get().getData().get("job.yaml");
        CompletableFuture<TrainerLog> reference = CompletableFuture.supplyAsync(
                () -> env.uninterrupted("short-quickstart", jobYaml));
        String uid1 = env.job(ns, job).get().getMetadata().getUid();
        String podUid1 = c.pods().inNamespace(ns).withName(job + "-1").get().getMetadata().getUid();
        assertThat(env.job(ns, job).get().getMetadata().getFinalizers()).contains("annealer.dev/checkpoints");

        // Delete the running job (as Flux force: true would): the finalizer holds it until the trainer checkpointed.
        CommandResult del = env.kubectl("delete", "ftj", job, "-n", ns, "--wait=false");
        assertThat(del.ok()).as(del.describe()).isTrue();
        env.await("job deleted after its trainer stopped", Duration.ofMinutes(3), ns, job,
                () -> env.job(ns, job).get() == null);
        Pod first = env.lastSeen(ns, job + "-1");
        ContainerStateTerminated t = first.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(t).as("the trainer ended before the finalizer went").isNotNull();
        assertThat(t.getExitCode()).as("the trainer checkpointed on SIGTERM").isEqualTo(75);
        Matcher m = CHECKPOINTED.matcher(t.getMessage());
        assertThat(m.matches()).as("termination message %s", t.getMessage()).isTrue();
        long checkpointedAt = Long.parseLong(m.group(1));
        Thread.sleep(3000); // the garbage collector runs: the Retain PVC must survive it
        PersistentVolumeClaim pvc = c.persistentVolumeClaims().inNamespace(ns).withName(job + "-checkpoints").get();
        assertThat(pvc).as("reclaimPolicy Retain (the default) keeps the checkpoints").isNotNull();
        assertThat(pvc.getMetadata().getDeletionTimestamp()).isNull();
        assertThat(pvc.getMetadata().getOwnerReferences()).as("a retained PVC is never owned").isNullOrEmpty();
        TrainerLog log1 = TrainerLog.parse(env.podLogText(ns, job + "-1", podUid1));

        // Re-apply the same manifest: a new job (new uid) resumes from the retained checkpoint.
        Jobs.apply(env, ns, manifest);
        env.await("re-created job exists", Duration.ofMinutes(1), ns, job,
                () -> env.job(ns, job).get() != null && !uid1.equals(env.job(ns, job).get().getMetadata().getUid()));
        CommandResult succeeded = kubectlWait(env, ns, job, "Succeeded", 12);
        assertThat(succeeded.ok()).as("kubectl wait --for=condition=Succeeded: " + succeeded.describe() + "\n"
                + env.dump(ns, job)).isTrue();
        JsonNode done = read(env, ns, job);
        assertVerdicts(env, tool, ns, job, "Current", "Healthy");
        assertThat(done.path("status").path("preemptions").asLong()).isZero();
        assertThat(done.path("status").path("failures").asLong()).isZero();
        String podUid2 = env.lastSeen(ns, job + "-1").getMetadata().getUid();
        assertThat(podUid2).isNotEqualTo(podUid1);
        TrainerLog log2 = TrainerLog.parse(env.podLogText(ns, job + "-1", podUid2));
        assertThat(log2.resumedAt()).as("the re-created job resumes at the SIGTERM checkpoint: 0 steps lost")
                .hasValue(checkpointedAt);

        // Item 6: the final status describes the final step.
        JobSchedule schedule = JobSchedule.of(jobYaml);
        assertThat(done.path("status").path("step").asLong()).isEqualTo(Jobs.SHORT_STEPS);
        assertThat(done.path("status").path("schedule").path("learningRate").asDouble())
                .as("status.schedule.learningRate is the last step's").isEqualTo(schedule.lr(Jobs.SHORT_STEPS - 1));

        TrainerLog ref = reference.get(10, TimeUnit.MINUTES);
        String finalMessage = done.path("status").path("lastTerminationMessage").asText();
        RunComparison.Result r = RunComparison.compare(List.of(log1, log2),
                TrainerLog.field(finalMessage, "paramsSha256").orElse(null), ref);
        System.err.printf("e2e: gitops delete/re-apply: checkpointed at %d, resumed at %s, paramsMatch=%s%n",
                checkpointedAt, log2.resumedAt().orElse(-1L), r.paramsMatch());
        assertThat(r.differences()).as("deleted + re-applied run vs uninterrupted run").isEmpty();
        assertThat(r.lrContinuous()).isTrue();
        assertThat(r.paramsMatch()).as("same final paramsSha256 as an uninterrupted run").isTrue();
    }

    /**
     * {@code kubectl wait --for=condition=TYPE --timeout=50s}, up to {@code tries} times (the harness runs a kubectl
     * for at most a minute): it blocks until the condition is True at the job's current generation.
     */
    private static CommandResult kubectlWait(E2eEnvironment env, String ns, String job, String type, int tries) {
        CommandResult r = null;
        for (int i = 0; i < tries; i++) {
            r = env.kubectl("wait", "-n", ns, "--for=condition=" + type, "--timeout=50s", "ftj/" + job);
            if (r.ok()) {
                return r;
            }
        }
        return r;
    }

    private static String condition(io.fabric8.kubernetes.api.model.GenericKubernetesResource job, String type) {
        if (!(status(job, "conditions") instanceof List<?> list)) {
            return null;
        }
        return list.stream().map(o -> (Map<?, ?>) o).filter(x -> type.equals(x.get("type")))
                .map(x -> String.valueOf(x.get("status"))).findFirst().orElse(null);
    }

    private static JsonNode read(E2eEnvironment env, String ns, String job) throws IOException {
        CommandResult r = env.kubectl("get", "ftj", job, "-n", ns, "-o", "json");
        assertThat(r.ok()).as(r.describe()).isTrue();
        return JSON.readTree(r.stdout());
    }

    private static void assertVerdicts(E2eEnvironment env, Path tool, String ns, String job, String kstatus, String argo)
            throws Exception {
        JsonNode obj = read(env, ns, job);
        assertThat(verdict(tool, obj, "kstatus")).as("kstatus of %s (phase %s)", job, obj.path("status").path("phase"))
                .isEqualTo(kstatus);
        assertThat(verdict(tool, obj, "lua")).as("Argo CD health of %s", job).isEqualTo(argo);
    }

    /** Runs annealer-status-check (hack/status-check.sh) on one object read from the API server. */
    private static String verdict(Path tool, JsonNode obj, String mode) throws Exception {
        Path root = E2eEnvironment.repoRoot();
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), mode));
        if (mode.equals("lua")) {
            cmd.add(root.resolve("charts/annealer/files/argocd/finetunejob-health.lua").toString());
        }
        Path in = Files.createTempFile("ftj-", ".json");
        try {
            Files.writeString(in, JSON.writeValueAsString(obj));
            Process p = new ProcessBuilder(cmd).redirectInput(in.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(cmd + ": " + err).isTrue();
            JsonNode v = JSON.readTree(out.lines().findFirst().orElseThrow());
            System.err.printf("e2e: %s of %s (phase %s): %s %s%n", mode, obj.path("metadata").path("name").asText(),
                    obj.path("status").path("phase").asText(), v.path("status").asText(), v.path("message").asText());
            return v.path("status").asText();
        } finally {
            Files.deleteIfExists(in);
        }
    }

    private static Path statusCheck(Path root) throws Exception {
        Process p = new ProcessBuilder("bash", root.resolve("hack/status-check.sh").toString(), "--check")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(30, TimeUnit.SECONDS);
        if (p.exitValue() != 0 || out.isEmpty()) {
            String why = "annealer-status-check is not built (bash hack/status-check.sh)";
            if (E2eEnvironment.onCi()) {
                throw new IllegalStateException("CI=true and " + why);
            }
            Assumptions.abort(why);
        }
        return Path.of(out);
    }
}
