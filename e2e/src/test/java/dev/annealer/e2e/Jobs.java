package dev.annealer.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.annealer.devcluster.CommandResult;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/** Small variants of examples/quickstart.yaml for the E2E tests that need a shorter job. */
final class Jobs {

    /** Budget of {@link #shortQuickstart}: 100 warmup steps + cycles of 200, 300 and 450 steps. */
    static final long SHORT_STEPS = 1050;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private Jobs() {
    }

    /**
     * The quickstart named {@code name}, with 3 SGDR cycles instead of 4 ({@value #SHORT_STEPS} steps instead of 1725),
     * so it still ends exactly at the end of its last cycle.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> shortQuickstart(Path root, String name) throws IOException {
        Map<String, Object> job = YAML.readValue(root.resolve("examples/quickstart.yaml").toFile(), LinkedHashMap.class);
        ((Map<String, Object>) job.get("metadata")).put("name", name);
        Map<String, Object> spec = (Map<String, Object>) job.get("spec");
        ((Map<String, Object>) spec.get("training")).put("maxSteps", SHORT_STEPS);
        ((Map<String, Object>) spec.get("schedule")).put("maxCycles", 3);
        return job;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(Map<String, Object> job, String section) {
        return (Map<String, Object>) ((Map<String, Object>) job.get("spec")).computeIfAbsent(section,
                k -> new LinkedHashMap<>());
    }

    /** Writes the manifest under the test output and {@code kubectl apply}s it into {@code ns}. */
    static void apply(E2eEnvironment env, String ns, Map<String, Object> job) throws IOException {
        Path file = env.out().resolve("manifests").resolve(ns + ".yaml");
        Files.createDirectories(file.getParent());
        String text = YAML.writeValueAsString(job);
        // why: a bare y is the boolean true for kubectl (YAML 1.1); the label column must stay the string "y"
        text = text.replaceAll("(?m)^(\\s+label: )y$", "$1\"y\"");
        Files.writeString(file, text);
        CommandResult r = env.kubectl("apply", "-n", ns, "-f", file.toString());
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    /**
     * The short quickstart {@code job} ends Succeeded (the operator alive) in one attempt, one pod, no preemption or
     * failure, every step and the final paramsSha256 those of an uninterrupted run of {@code jobYaml}.
     */
    static void succeedsLikeUninterrupted(E2eEnvironment env, String ns, String job, String jobYaml, Duration timeout)
            throws Exception {
        env.await("job Succeeded", timeout, ns, job, () -> {
            Object phase = status(env.job(ns, job).get(), "phase");
            if ("Failed".equals(phase)) {
                throw new AssertionError("job Failed:\n" + env.dump(ns, job));
            }
            return "Succeeded".equals(phase) && env.operatorAlive();
        });
        GenericKubernetesResource done = env.job(ns, job).get();
        assertThat(env.podsEverSeen(ns, job + "-")).as("no duplicate pod: one attempt").containsExactly(job + "-1");
        assertThat(statusLong(done, "attempt")).isEqualTo(1);
        assertThat(statusLong(done, "preemptions")).isZero();
        assertThat(statusLong(done, "failures")).isZero();
        assertThat(statusLong(done, "step")).isEqualTo(Jobs.SHORT_STEPS);
        TrainerLog ref = env.uninterrupted("short-quickstart", jobYaml);
        TrainerLog attempt = TrainerLog.parse(env.podLogText(ns, job + "-1"));
        RunComparison.Result r = RunComparison.compare(List.of(attempt),
                TrainerLog.field(String.valueOf(status(done, "lastTerminationMessage")), "paramsSha256").orElse(null), ref);
        assertThat(r.differences()).isEmpty();
        assertThat(r.paramsMatch()).isTrue();
    }
}
