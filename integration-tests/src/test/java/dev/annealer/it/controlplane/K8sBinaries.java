package dev.annealer.it.controlplane;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds the control-plane binaries (etcd, kube-apiserver, kubectl) that {@code hack/k8s-binaries.sh} built or that
 * the user pointed at ({@code ANNEALER_K8S_BIN}, {@code KUBEBUILDER_ASSETS}).
 *
 * <p>The script is the single place that knows the cache layout and the pinned versions: this class runs it with
 * {@code --check --envtest}, which never builds and prints the folder when everything is there.
 *
 * <p>Missing binaries: {@link Lookup#missingReason()} says why and how to fix. The caller decides between skipping
 * (developer machine, {@code CI} unset) and failing ({@code CI=true}): see {@link #onCi()}.
 */
public final class K8sBinaries {

    /** Binaries an API-server test needs. */
    public static final List<String> ENVTEST = List.of("etcd", "kube-apiserver", "kubectl");
    /** Binaries the devcluster needs. */
    public static final List<String> ALL = List.of("etcd", "kube-apiserver", "kubectl", "kube-scheduler",
            "kube-controller-manager");

    private K8sBinaries() {
    }

    /** Result of a lookup: either a folder or the reason there is none. */
    public record Lookup(Path folder, String missingReason) {
        public boolean found() {
            return folder != null;
        }
    }

    /** True when running under CI ({@code CI=true}): there a missing binary is a failure, never a skip. */
    public static boolean onCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false") && !ci.equals("0");
    }

    /** The repository root: system property {@code annealer.repo.root} (set by failsafe) or the working dir's parent. */
    public static Path repoRoot() {
        String prop = System.getProperty("annealer.repo.root");
        Path start = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("hack/k8s-binaries.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root (hack/k8s-binaries.sh) above " + start
                + ": run the tests from the repository with Maven, or set -Dannealer.repo.root=<checkout>");
    }

    /** Looks up the API-server binaries without building anything. */
    public static Lookup lookup() {
        return lookup(ENVTEST);
    }

    /** Looks up {@code required} (ENVTEST or ALL) without building anything. */
    public static Lookup lookup(List<String> required) {
        Path script = repoRoot().resolve("hack/k8s-binaries.sh");
        ProcessBuilder pb = required.equals(ENVTEST)
                ? new ProcessBuilder("bash", script.toString(), "--check", "--envtest")
                : new ProcessBuilder("bash", script.toString(), "--check");
        pb.redirectErrorStream(false);
        try {
            Process p = pb.start();
            String out;
            String err;
            try (InputStream o = p.getInputStream(); InputStream e = p.getErrorStream()) {
                out = new String(o.readAllBytes(), StandardCharsets.UTF_8).trim();
                err = new String(e.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Lookup(null, script + " --check did not answer within 60 s");
            }
            if (p.exitValue() == 0 && !out.isEmpty()) {
                Path folder = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
                for (String b : required) {
                    if (!Files.isExecutable(folder.resolve(b))) {
                        return new Lookup(null, folder + " has no executable " + b);
                    }
                }
                return new Lookup(folder, null);
            }
            return new Lookup(null, (err.isEmpty() ? "binaries not found" : err)
                    + "; build them with `hack/k8s-binaries.sh` (cold: tens of minutes, warm: seconds)"
                    + " or set ANNEALER_K8S_BIN to a folder holding " + String.join(", ", required));
        } catch (IOException e) {
            return new Lookup(null, "cannot run " + script + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Lookup(null, "interrupted while looking up the binaries");
        }
    }
}
