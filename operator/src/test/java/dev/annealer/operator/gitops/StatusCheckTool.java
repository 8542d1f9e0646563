package dev.annealer.operator.gitops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code annealer-status-check} (hack/status-check/: kstatus of sigs.k8s.io/cli-utils and gopher-lua, built by
 * hack/status-check.sh, a {@code make test} prerequisite) over objects given as JSON. Not built: the test is skipped
 * on a developer machine and fails with {@code CI=true}.
 */
public final class StatusCheckTool {

    /** One verdict: kstatus (Current, InProgress, Failed, ...) or Argo CD health (Healthy, Progressing, ...). */
    public record Verdict(String name, String status, String message) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path binary;
    private final Path root;

    private StatusCheckTool(Path binary, Path root) {
        this.binary = binary;
        this.root = root;
    }

    /** The tool, or a skipped (aborted) test when it is not built and CI is unset. */
    public static StatusCheckTool locate(Path repoRoot) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", repoRoot.resolve("hack/status-check.sh").toString(), "--check")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(30, TimeUnit.SECONDS);
        if (p.exitValue() != 0 || out.isEmpty()) {
            String why = "annealer-status-check is not built (bash hack/status-check.sh, or make status-check)";
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank() && !"false".equalsIgnoreCase(ci) && !"0".equals(ci)) {
                throw new IllegalStateException("CI=true and " + why);
            }
            Assumptions.abort(why);
        }
        return new StatusCheckTool(Path.of(out), repoRoot);
    }

    /** The Argo CD health check the chart ships. */
    public Path argoHealthLua() {
        return root.resolve("charts/annealer/files/argocd/finetunejob-health.lua");
    }

    public List<Verdict> kstatus(String objectsJson) throws IOException, InterruptedException {
        return run(objectsJson, "kstatus");
    }

    public List<Verdict> argoHealth(String objectsJson) throws IOException, InterruptedException {
        return run(objectsJson, "lua", argoHealthLua().toString());
    }

    private List<Verdict> run(String objectsJson, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString()));
        cmd.addAll(List.of(args));
        Path in = Files.createTempFile("status-check-", ".json");
        try {
            Files.writeString(in, objectsJson);
            Process p = new ProcessBuilder(cmd).redirectInput(in.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed: " + err);
            }
            List<Verdict> verdicts = new ArrayList<>();
            for (String line : out.lines().filter(l -> !l.isBlank()).toList()) {
                JsonNode n = JSON.readTree(line);
                verdicts.add(new Verdict(n.path("name").asText(), n.path("status").asText(), n.path("message").asText()));
            }
            return verdicts;
        } finally {
            Files.deleteIfExists(in);
        }
    }
}
