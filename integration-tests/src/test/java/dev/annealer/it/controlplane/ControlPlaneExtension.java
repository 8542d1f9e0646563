package dev.annealer.it.controlplane;

import dev.annealer.devcluster.ControlPlane;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.nio.file.Path;
import java.util.List;

/**
 * Starts one {@link ControlPlane} per test JVM (lazily, by the first class that needs it) and closes it when
 * the JVM's test run ends (the root store closes {@link AutoCloseable} values).
 *
 * <p>Decision on missing binaries: found -> start; absent and CI unset -> skip (assumption) with the fix in the
 * message; absent and {@code CI=true} -> fail.
 */
public final class ControlPlaneExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ControlPlaneExtension.class);
    private static final String KEY = "control-plane";

    @Override
    public void beforeAll(ExtensionContext context) {
        controlPlane(context);
    }

    private static ControlPlane controlPlane(ExtensionContext context) {
        ExtensionContext.Store store = context.getRoot().getStore(NS);
        Object value = store.getOrComputeIfAbsent(KEY, k -> startOrExplain(), Object.class);
        if (value instanceof String reason) {
            String message = "real API-server tests need kube-apiserver and etcd: " + reason;
            if (K8sBinaries.onCi()) {
                throw new IllegalStateException("CI=true and " + message);
            }
            System.err.println("SKIPPED " + context.getDisplayName() + ": " + message);
            Assumptions.abort(message + " (CI is unset, so these tests are skipped)");
        }
        return (ControlPlane) value;
    }

    /** Returns the started control plane, or the reason it cannot start (stored once, so each class says it). */
    private static Object startOrExplain() {
        K8sBinaries.Lookup lookup = K8sBinaries.lookup();
        if (!lookup.found()) {
            return lookup.missingReason();
        }
        Path logs = Path.of(System.getProperty("annealer.it.logs", "target/control-plane"));
        long t0 = System.nanoTime();
        ControlPlane cp = new ControlPlane(lookup.folder(), logs, List.of()).start();
        System.err.printf("control plane ready at %s in %.1f s (binaries: %s, logs: %s)%n", cp.url(),
                (System.nanoTime() - t0) / 1e9, lookup.folder(), logs.toAbsolutePath());
        return cp;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == ControlPlane.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return controlPlane(extensionContext);
    }
}
