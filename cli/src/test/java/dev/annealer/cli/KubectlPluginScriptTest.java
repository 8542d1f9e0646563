package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/kubectl-annealer's own logic, with a recording stand-in for kubectl: which kubectl it runs, where the cluster
 * options go, the message for a job that does not exist, and bad usage. KubectlPluginE2E runs it for real through
 * kubectl on the devcluster.
 */
class KubectlPluginScriptTest {

    static final Path PLUGIN = Cli.repoRoot().resolve("bin/kubectl-annealer");

    @TempDir
    Path tmp;
    Path calls;
    Path fake;

    record Run(int exit, String out, String err) {
    }

    @BeforeEach
    void fakeKubectl() throws IOException {
        calls = tmp.resolve("calls");
        fake = tmp.resolve("fake-kubectl");
        // answers like kubectl for the three jobs the tests use; records every call, one line each
        Files.writeString(fake, """
                #!/usr/bin/env bash
                echo "$*" >> "%s"
                case "$*" in
                  *"get finetunejob missing "*) echo 'Error from server (NotFound): finetunejobs.annealer.dev "missing" not found' >&2; exit 1 ;;
                  *"config view --minify"*) printf 'ctx-ns' ;;
                  *"get finetunejob running -o jsonpath"*) printf '/3' ;;
                  *"get finetunejob parked -o jsonpath"*) printf 'true/2' ;;
                  *"get finetunejob fresh -o jsonpath"*) printf '/' ;;
                esac
                """.formatted(calls));
        assertThat(fake.toFile().setExecutable(true)).isTrue();
    }

    private Run plugin(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", PLUGIN.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("KUBECTL");
        pb.environment().remove("KUBECTL_PATH");
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err.join());
    }

    private Run plugin(String... args) throws Exception {
        return plugin(Map.of("KUBECTL", fake.toString()), args);
    }

    private List<String> calls() throws IOException {
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void runsTheKubectlThatInvokedItAndPassesClusterOptionsGivenAfterTheCommand() throws Exception {
        // kubectl sets KUBECTL_PATH for the plugins it runs
        Run r = plugin(Map.of("KUBECTL_PATH", fake.toString()), "logs", "running", "--tail=5", "-n", "team",
                "--context", "c1", "--kubeconfig=/k/config");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(calls()).containsExactly(
                "-n team --context c1 --kubeconfig=/k/config get finetunejob running -o jsonpath={.spec.suspend}/{.status.attempt}",
                "-n team --context c1 --kubeconfig=/k/config logs running-3 -c trainer --tail=5");
    }

    @Test
    void aJobThatDoesNotExistIsNamedWithItsNamespace() throws Exception {
        for (String cmd : List.of("status", "logs", "suspend", "resume", "watch")) {
            Files.deleteIfExists(calls);
            Run r = plugin(cmd, "missing");
            assertThat(r.exit()).as(cmd).isEqualTo(1);
            assertThat(r.out()).as(cmd).isEmpty();
            // the namespace of the current context
            assertThat(r.err()).as(cmd).isEqualTo("kubectl-annealer: FineTuneJob \"missing\" not found in namespace "
                    + "\"ctx-ns\": `kubectl get ftj -n ctx-ns` lists the jobs there (-n NS picks another namespace)\n");
            assertThat(calls()).as(cmd).noneMatch(c -> c.contains("patch") || c.contains("logs") || c.contains("--watch"));
        }
        Run r = plugin("status", "-n", "team", "missing");
        assertThat(r.err()).contains("not found in namespace \"team\"");
    }

    @Test
    void suspendAndResumePatchOnlyWhenTheyChangeSomething() throws Exception {
        Run suspend = plugin("suspend", "running");
        assertThat(suspend.exit()).as(suspend.err()).isZero();
        assertThat(suspend.out()).startsWith("FineTuneJob running: suspend requested (spec.suspend=true)");
        assertThat(calls()).contains("patch finetunejob running --type=merge -p {\"spec\":{\"suspend\":true}} -o name");

        Files.deleteIfExists(calls);
        Run again = plugin("suspend", "parked");
        assertThat(again.exit()).isZero();
        assertThat(again.out()).isEqualTo("FineTuneJob parked: spec.suspend is already true, nothing to do\n");
        assertThat(calls()).noneMatch(c -> c.contains("patch"));

        Run resume = plugin("resume", "parked");
        assertThat(resume.exit()).isZero();
        assertThat(resume.out()).contains("attempt 3 resumes from the last checkpoint");
        assertThat(calls()).contains("patch finetunejob parked --type=merge -p {\"spec\":{\"suspend\":false}} -o name");
    }

    @Test
    void logsOfAJobWithoutAPodSaySo() throws Exception {
        Run r = plugin("logs", "fresh");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("FineTuneJob \"fresh\" has no trainer pod yet (status.attempt is unset)");
    }

    @Test
    void badUsageExitsTwoWithTheFix() throws Exception {
        Run none = plugin();
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("kubectl annealer status JOB");
        Run unknown = plugin("stats", "x");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown command 'stats'", "accepted: status, watch, logs, suspend, resume, preview");
        Run noJob = plugin("status");
        assertThat(noJob.exit()).isEqualTo(2);
        assertThat(noJob.err()).contains("status needs a FineTuneJob name: kubectl annealer status JOB");
        Run noValue = plugin("status", "x", "-n");
        assertThat(noValue.exit()).isEqualTo(2);
        assertThat(noValue.err()).contains("-n needs a value");
        Run help = plugin("status", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("kubectl annealer preview -f job.yaml").doesNotContain("set -euo");
        assertThat(calls()).isEmpty();
    }
}
