package dev.annealer.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.annealer.devcluster.CommandResult;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

/**
 * {@code kubectl annealer} as a user runs it: the real kubectl (the project's build) finds {@code kubectl-annealer} on
 * PATH and runs it, with a kubeconfig file for the devcluster (KUBECONFIG and its context's namespace, or
 * {@code --kubeconfig} and {@code -n}). status, logs, watch, suspend and resume on a real job; preview; a job that
 * does not exist. And the krew package: built by hack/krew-package.sh, installed with the real krew, run from krew's
 * bin directory.
 */
@ExtendWith(E2eExtension.class)
class KubectlPluginE2E {

    private static final String CLI_JAR = "cli/target/annealer-cli.jar";

    @Test
    void statusLogsWatchSuspendResumeOnADevclusterJob(E2eEnvironment env) throws Exception {
        String ns = env.namespace("e2e-plugin");
        String job = "plugin";
        // the user's kubeconfig: the devcluster, current context's namespace e2e-plugin
        Map<String, String> user = Map.of("KUBECONFIG", env.userKubeconfig("plugin-user", ns).toString());

        for (String cmd : List.of("status", "logs", "suspend", "resume")) {
            CommandResult missing = env.kubectlPlugin(user, cmd, "no-such-job");
            assertThat(missing.exitCode()).as(missing.describe()).isEqualTo(1);
            assertThat(missing.stdout()).as(cmd).isEmpty();
            assertThat(missing.stderr()).as(cmd).isEqualTo("kubectl-annealer: FineTuneJob \"no-such-job\" not found in "
                    + "namespace \"" + ns + "\": `kubectl get ftj -n " + ns + "` lists the jobs there (-n NS picks "
                    + "another namespace)\n");
        }

        Map<String, Object> manifest = Jobs.shortQuickstart(env.root(), job);
        Jobs.spec(manifest, "checkpoint").put("everySteps", 100); // why: a checkpoint to show well before the end
        Jobs.apply(env, ns, manifest);
        env.await("attempt 1 Running with a checkpoint", Duration.ofMinutes(4), ns, job, () -> {
            GenericKubernetesResource j = env.job(ns, job).get();
            return "Running".equals(status(j, "phase")) && status(j, "lastCheckpoint.name") != null;
        });
        String jobYaml = env.client().configMaps().inNamespace(ns).withName(job + "-spec").get().getData().get("job.yaml");
        JobSchedule schedule = JobSchedule.of(jobYaml);

        // --- status and logs of the running attempt ----------------------------------------------------------
        CommandResult running = env.kubectlPlugin(user, "status", job);
        assertThat(running.ok()).as(running.describe()).isTrue();
        System.err.println("e2e: kubectl annealer status " + job + " (running)\n" + running.stdout());
        assertThat(running.stdout()).startsWith("FineTuneJob " + ns + "/" + job + "\n").contains(
                "\n  phase:        Running (", "\n  attempt:      1 (pod plugin-1), preemptions 0, failures 0\n",
                "\n  queue:        -\n", "\n  kueue:        no workload\n", "\n  events:\n",
                " Normal Created: created pod plugin-1\n");
        assertThat(running.stdout()).containsPattern("\n  step:         \\d+, loss [0-9.e+-]+\n")
                .containsPattern("\n  schedule:     cycle \\d+, step \\d+ of \\d+, lr \\d\\.\\d\\de-\\d\\d( \\(\\w+\\))?\n")
                .containsPattern("\n  checkpoint:   step-\\d{12} \\(step \\d+, [^)]+\\)\n");

        CommandResult logs1 = env.kubectlPlugin(user, "logs", job);
        assertThat(logs1.ok()).as(logs1.describe()).isTrue();
        assertThat(logs1.stdout()).contains("event=step step=");
        assertThat(env.podLogText(ns, job + "-1")).as("the trainer's own output").startsWith(logs1.stdout());

        // --- watch, with the cluster named by flags after the command (no KUBECONFIG) -------------------------
        Process watch = env.asUser(List.of(env.root().resolve("bin")), Map.of(), List.of("kubectl", "annealer",
                "watch", job, "-n", ns, "--kubeconfig", env.adminKubeconfig().toString())).start();
        try {
            List<String> lines = firstLines(watch.getInputStream(), 2, Duration.ofSeconds(60));
            assertThat(lines.get(0)).startsWith("NAME ").contains("PHASE", "STEP");
            assertThat(lines.get(1)).startsWith(job + " ").contains("Running");
            assertThat(watch.isAlive()).as("watch keeps watching").isTrue();
        } finally {
            watch.descendants().forEach(ProcessHandle::destroy);
            watch.destroy();
            watch.waitFor(10, TimeUnit.SECONDS);
        }

        // --- suspend: the trainer checkpoints on SIGTERM; status shows where it stopped -------------------------
        CommandResult suspend = env.kubectlPlugin(user, "suspend", job);
        assertThat(suspend.ok()).as(suspend.describe()).isTrue();
        assertThat(suspend.stdout()).startsWith("FineTuneJob plugin: suspend requested (spec.suspend=true)");
        env.await("Suspended with no pod", Duration.ofMinutes(2), ns, job,
                () -> "Suspended".equals(status(env.job(ns, job).get(), "phase"))
                        && env.client().pods().inNamespace(ns).list().getItems().isEmpty());
        ContainerStateTerminated t = env.lastSeen(ns, job + "-1").getStatus().getContainerStatuses().get(0)
                .getState().getTerminated();
        Matcher m = Pattern.compile("^checkpointed after preemption: step=(\\d+) checkpoint=(step-\\d{12})$")
                .matcher(t.getMessage());
        assertThat(m.matches()).as("termination message %s", t.getMessage()).isTrue();
        long checkpointedAt = Long.parseLong(m.group(1));
        GenericKubernetesResource suspended = env.job(ns, job).get();
        assertThat(statusLong(suspended, "lastCheckpoint.step")).isEqualTo(checkpointedAt);

        CommandResult st = env.kubectlPlugin(Map.of(), "status", job, "-n", ns, "--kubeconfig",
                env.adminKubeconfig().toString());
        assertThat(st.ok()).as(st.describe()).isTrue();
        System.err.println("e2e: kubectl annealer status " + job + " (suspended)\n" + st.stdout());
        long step = statusLong(suspended, "step");
        String lr = String.valueOf(status(suspended, "display.learningRate"));
        Object schedulePhase = status(suspended, "schedule.phase");
        Object time = status(suspended, "lastCheckpoint.time"); // a SIGTERM checkpoint: the trainer container's finish time
        Object loss = status(suspended, "display.loss") != null ? status(suspended, "display.loss") : status(suspended, "loss");
        assertThat(st.stdout()).contains("\n  phase:        Suspended",
                "\n  attempt:      1 (pod plugin-1), preemptions 0, failures 0\n",
                "\n  step:         " + step + ", loss " + loss + "\n",
                "\n  schedule:     cycle " + statusLong(suspended, "schedule.cycle") + ", step "
                        + statusLong(suspended, "schedule.cycleStep") + " of "
                        + statusLong(suspended, "schedule.cycleLength") + ", lr " + lr
                        + (schedulePhase != null ? " (" + schedulePhase + ")" : "") + "\n",
                "\n  checkpoint:   " + m.group(2) + " (step " + checkpointedAt
                        + (time != null ? ", " + time : "") + ")\n");
        assertThat(Double.parseDouble(lr)).as("the LR shown is the schedule's at step %d", step)
                .isCloseTo(schedule.lr(step - 1), withinPercentage(0.6));

        // --- resume: attempt 2 from the checkpoint; logs follow the current attempt -----------------------------
        CommandResult resume = env.kubectlPlugin(user, "resume", job);
        assertThat(resume.ok()).as(resume.describe()).isTrue();
        assertThat(resume.stdout()).contains("attempt 2 resumes from the last checkpoint");
        env.await("attempt 2 training past the checkpoint", Duration.ofMinutes(4), ns, job, () -> {
            GenericKubernetesResource j = env.job(ns, job).get();
            return statusLong(j, "attempt") == 2 && statusLong(j, "step") > checkpointedAt;
        });
        CommandResult logs2 = env.kubectlPlugin(user, "logs", job);
        assertThat(logs2.ok()).as(logs2.describe()).isTrue();
        assertThat(env.podLogText(ns, job + "-2")).startsWith(logs2.stdout());
        assertThat(TrainerLog.parse(logs2.stdout()).resumedAt()).as("attempt 2 resumed at the SIGTERM checkpoint")
                .hasValue(checkpointedAt);

        env.await("job Succeeded", Duration.ofMinutes(5), ns, job, () -> {
            Object phase = status(env.job(ns, job).get(), "phase");
            if ("Failed".equals(phase)) {
                throw new AssertionError("job Failed:\n" + env.dump(ns, job));
            }
            return "Succeeded".equals(phase);
        });
        CommandResult done = env.kubectlPlugin(user, "status", job);
        assertThat(done.ok()).as(done.describe()).isTrue();
        System.err.println("e2e: kubectl annealer status " + job + " (done)\n" + done.stdout());
        GenericKubernetesResource finished = env.job(ns, job).get();
        assertThat(done.stdout()).contains("\n  phase:        Succeeded",
                "\n  attempt:      2 (pod plugin-2), preemptions 0, failures 0\n",
                "\n  step:         " + Jobs.SHORT_STEPS + ", loss ",
                ", lr " + status(finished, "display.learningRate"),
                " Normal Resumed: attempt 2 (pod plugin-2)", " Normal Succeeded: training completed");
        assertThat(Double.parseDouble(String.valueOf(status(finished, "display.learningRate"))))
                .isCloseTo(schedule.lr(Jobs.SHORT_STEPS - 1), withinPercentage(0.6));
        CommandResult logsDone = env.kubectlPlugin(user, "logs", job, "--tail=4");
        assertThat(logsDone.ok()).as(logsDone.describe()).isTrue();
        assertThat(logsDone.stdout().lines().count()).as("kubectl logs' own flags pass through").isLessThanOrEqualTo(4);
        assertThat(logsDone.stdout()).contains("done step=" + Jobs.SHORT_STEPS + " paramsSha256=");
    }

    @Test
    void previewPrintsTheSchedule(E2eEnvironment env) throws Exception {
        requireBuilt(env.root().resolve(CLI_JAR), "the CLI jar (mvn -pl e2e -am verify packages it)");
        Path quickstart = env.root().resolve("examples/quickstart.yaml");
        CommandResult preview = env.kubectlPlugin(Map.of(), "preview", "-f", quickstart.toString());
        assertThat(preview.ok()).as(preview.describe()).isTrue();
        assertPreviewOfQuickstart(preview.stdout(), Files.readString(quickstart));
    }

    @Test
    void krewInstallsThePackagedPluginWhichThenRuns(E2eEnvironment env) throws Exception {
        Path root = env.root();
        requireBuilt(root.resolve(CLI_JAR), "the CLI jar (mvn -pl e2e -am verify packages it)");
        Path krew = krewDir(root);
        Path out = env.out().resolve("krew");
        E2eEnvironment.deleteRecursively(out);
        CommandResult pack = CommandResult.run(List.of("bash", root.resolve("hack/krew-package.sh").toString(),
                out.toString()), Duration.ofMinutes(5));
        assertThat(pack.ok()).as(pack.describe()).isTrue();
        Path manifest = out.resolve("annealer.yaml");
        assertThat(pack.stdout().trim()).isEqualTo(manifest.toString());

        // the packaged manifest is the committed one with the archive's sha256, and names the archive in uri
        JsonNode packaged = new ObjectMapper(new YAMLFactory()).readTree(manifest.toFile());
        JsonNode platform = packaged.path("spec").path("platforms").get(0);
        Path archive = out.resolve(platform.path("uri").asText());
        assertThat(archive).isRegularFile();
        assertThat(platform.path("sha256").asText()).isEqualTo(sha256(archive));
        List<String> committed = Files.readAllLines(root.resolve("deploy/krew/annealer.yaml"));
        List<String> written = Files.readAllLines(manifest);
        assertThat(written).hasSameSizeAs(committed);
        for (int i = 0; i < committed.size(); i++) {
            if (!committed.get(i).startsWith("    sha256: ")) {
                assertThat(written.get(i)).isEqualTo(committed.get(i));
            }
        }

        // krew refuses the archive under a manifest with another sum...
        Path bad = out.resolve("bad-sum.yaml");
        Files.writeString(bad, Files.readString(manifest).replace(platform.path("sha256").asText(), "0".repeat(64)));
        CommandResult refused = krew(env, krew, out.resolve("root-bad"), "install", "--manifest=" + bad,
                "--archive=" + archive);
        assertThat(refused.ok()).as(refused.describe()).isFalse();
        assertThat(refused.stdout() + refused.stderr()).contains("checksum does not match");

        // ...and installs it under the packaged manifest (krew validates the manifest first)
        Path krewRoot = out.resolve("root");
        CommandResult install = krew(env, krew, krewRoot, "install", "--manifest=" + manifest, "--archive=" + archive);
        assertThat(install.ok()).as(install.describe()).isTrue();
        assertThat(install.stderr()).contains("Installed plugin: annealer");
        Path linked = krewRoot.resolve("bin/kubectl-annealer");
        assertThat(Files.isSymbolicLink(linked)).isTrue();

        // the installed plugin, from krew's bin directory (the repository's bin/ is not on PATH)
        Map<String, String> user = Map.of("KUBECONFIG", env.userKubeconfig("krew-user", "default").toString());
        CommandResult list = run(env, krewRoot, user, "kubectl", "plugin", "list");
        assertThat(list.stdout()).contains(linked.toString()).doesNotContain(root.resolve("bin").toString());
        CommandResult preview = run(env, krewRoot, user, "kubectl", "annealer", "preview", "-f",
                root.resolve("examples/quickstart.yaml").toString());
        assertThat(preview.ok()).as(preview.describe()).isTrue();
        assertPreviewOfQuickstart(preview.stdout(), Files.readString(root.resolve("examples/quickstart.yaml")));
        CommandResult missing = run(env, krewRoot, user, "kubectl", "annealer", "status", "no-such-job");
        assertThat(missing.exitCode()).as(missing.describe()).isEqualTo(1);
        assertThat(missing.stderr()).startsWith("kubectl-annealer: FineTuneJob \"no-such-job\" not found in namespace \"default\"");
        E2eEnvironment.deleteRecursively(out); // why: ~330 MB (the archive and the installed copy); kept only on failure
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    /** The table of {@code annealer schedule preview}: every cycle's peak is the schedule's LR at its first step. */
    private static void assertPreviewOfQuickstart(String out, String jobYaml) {
        assertThat(out).startsWith("quickstart: CosineWarmRestarts, 1725 steps")
                .contains("training ends at step 1724, the last step of cycle 3, at LR 1.00e-05");
        JobSchedule schedule = JobSchedule.of(jobYaml);
        Matcher row = Pattern.compile("(?m)^cycle (\\d)\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)\\s+(\\S+)$").matcher(out);
        List<Long> starts = new ArrayList<>();
        while (row.find()) {
            long start = Long.parseLong(row.group(2));
            starts.add(start);
            assertThat(Double.parseDouble(row.group(4))).as("peak of cycle %s", row.group(1))
                    .isCloseTo(schedule.lr(start), withinPercentage(1e-4));
        }
        assertThat(starts).containsExactly(100L, 300L, 600L, 1050L);
    }

    private static CommandResult krew(E2eEnvironment env, Path krewDir, Path krewRoot, String... args) {
        List<String> cmd = new ArrayList<>(List.of("kubectl", "krew"));
        cmd.addAll(List.of(args));
        return CommandResult.run(env.asUser(List.of(krewDir), Map.of("KREW_ROOT", krewRoot.toString(),
                "KREW_NO_UPGRADE_CHECK", "1"), cmd).command(), Duration.ofMinutes(3));
    }

    private static CommandResult run(E2eEnvironment env, Path krewRoot, Map<String, String> user, String... cmd) {
        return CommandResult.run(env.asUser(List.of(krewRoot.resolve("bin")), user, List.of(cmd)).command(),
                Duration.ofMinutes(2));
    }

    /** The first {@code n} lines of a running process's output. */
    private static List<String> firstLines(InputStream in, int n, Duration timeout) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        return CompletableFuture.supplyAsync(() -> {
            List<String> lines = new ArrayList<>();
            try {
                for (String line; lines.size() < n && (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(lines).as("output lines").hasSize(n);
            return lines;
        }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int k; (k = in.read(buf)) > 0; ) {
                d.update(buf, 0, k);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /** krew, built by hack/krew.sh (never builds here); skipped on a developer machine without it, a failure on CI. */
    private static Path krewDir(Path root) throws Exception {
        Process p = new ProcessBuilder("bash", root.resolve("hack/krew.sh").toString(), "--check")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dir = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0 || dir.isEmpty()) {
            requireBuilt(null, "krew (hack/krew.sh builds it; make test runs it)");
        }
        return Path.of(dir);
    }

    private static void requireBuilt(Path file, String what) {
        if (file != null && Files.isRegularFile(file)) {
            return;
        }
        String why = "KubectlPluginE2E needs " + what;
        if (E2eEnvironment.onCi()) {
            throw new IllegalStateException("CI=true and " + why);
        }
        Assumptions.abort(why + " (CI is unset, so it is skipped)");
    }
}
