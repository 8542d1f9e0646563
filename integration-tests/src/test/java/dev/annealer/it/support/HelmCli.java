package dev.annealer.it.support;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The real {@code helm} (hack/helm.sh builds it into ~/.cache/annealer/helm); skipped, or a failure with CI=true. */
public final class HelmCli {

    private final Path binary;
    private final ControlPlane cp;

    private HelmCli(Path binary, ControlPlane cp) {
        this.binary = binary;
        this.cp = cp;
    }

    public static HelmCli find(ControlPlane cp) {
        return new HelmCli(locateBinary(), cp);
    }

    /**
     * The helm binary: {@code -Dannealer.helm=PATH}, else the one {@code hack/helm.sh} built; skipped (or a failure
     * with CI=true) when there is none.
     */
    public static Path locateBinary() {
        Path helm = null;
        String explicit = System.getProperty("annealer.helm");
        if (explicit != null && !explicit.isBlank()) {
            helm = Path.of(explicit);
        } else {
            CommandResult check = CommandResult.run(List.of("bash", RepoFiles.root().resolve("hack/helm.sh").toString(),
                    "--check"), Duration.ofSeconds(30));
            if (check.exitCode() == 0) {
                helm = Path.of(check.stdout().strip());
            }
        }
        if (helm == null || !Files.isExecutable(helm)) {
            RepoFiles.missing("no helm binary: build it with `make helm` (hack/helm.sh) or pass -Dannealer.helm=PATH");
        }
        return helm;
    }

    /** Runs helm against the control plane; returns the result without checking it. */
    public CommandResult tryRun(String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--kubeconfig", cp.kubeconfig().toString()));
        cmd.addAll(List.of(args));
        return CommandResult.run(cmd, Duration.ofMinutes(3));
    }

    /** Runs helm against the control plane, asserts it succeeded, returns its stdout. */
    public String run(String... args) {
        CommandResult r = tryRun(args);
        assertThat(r.exitCode()).as("%s%nstdout: %s%nstderr: %s", String.join(" ", r.command()), r.stdout(), r.stderr())
                .isZero();
        return r.stdout();
    }
}
