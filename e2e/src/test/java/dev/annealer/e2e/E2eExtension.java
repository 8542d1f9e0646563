package dev.annealer.e2e;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One {@link E2eEnvironment} per test JVM, shared by every E2E class (each test works in its own namespace) and
 * closed when the run ends (the root store closes it). Inject it as a test or lifecycle method parameter.
 */
public final class E2eExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(E2eExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        return pc.getParameter().getType() == E2eEnvironment.class;
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        E2eEnvironment env = ec.getRoot().getStore(NS).getOrComputeIfAbsent("env", k -> {
            try {
                return new Holder(E2eEnvironment.start());
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Holder.class).env;
        try {
            env.ensureOperatorRunning(); // one test's failure must not fail the next ones
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return env;
    }

    /** Closes the environment at the end of the run (JUnit closes AutoCloseable values of the root store). */
    private record Holder(E2eEnvironment env) implements AutoCloseable {
        @Override
        public void close() {
            env.close();
        }
    }
}
