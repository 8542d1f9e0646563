package dev.annealer.operator.build;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code helm} binary users run (hack/helm.sh builds it from the Go module proxy into ~/.cache/annealer/helm;
 * {@code make test} builds it first). Where helm-java's embedded Helm differs: its {@code template} asks a cluster for
 * {@code lookup}, where {@code helm template} renders offline. Missing binary: skipped, or a failure with CI=true.
 */
final class RealHelm {

    record Result(int exitCode, String stdout, String stderr) {
    }

    private static Path binary;

    private RealHelm() {
    }

    static synchronized Path binary() {
        if (binary != null) {
            return binary;
        }
        String explicit = System.getProperty("annealer.helm");
        if (explicit != null && !explicit.isBlank()) {
            binary = Path.of(explicit);
        } else {
            Result check = exec(List.of("bash", GeneratedFiles.ROOT.resolve("hack/helm.sh").toString(), "--check"));
            if (check.exitCode() == 0) {
                binary = Path.of(check.stdout().strip());
            }
        }
        if (binary == null || !Files.isExecutable(binary)) {
            String why = "no helm binary: build it with `make helm` (hack/helm.sh) or pass -Dannealer.helm=PATH";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("CI=true and " + why);
            }
            Assumptions.abort(why + " (CI is unset, so this test is skipped)");
        }
        return binary;
    }

    static Result run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary().toString());
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    private static Result exec(List<String> cmd) {
        try {
            Path out = Files.createTempFile("helm-out", ".txt");
            Path err = Files.createTempFile("helm-err", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
                // why: no kubeconfig of the developer's may leak into an offline render
                pb.environment().put("KUBECONFIG", "/dev/null");
                Process p = pb.start();
                if (!p.waitFor(2, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("timed out: " + String.join(" ", cmd));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
