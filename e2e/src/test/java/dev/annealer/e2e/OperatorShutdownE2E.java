package dev.annealer.e2e;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM to the real operator process (what every Deployment rollout sends) while a second replica waits for the
 * lease: the leader exits with 0 within 5 s and releases the lease on the way out, so the second replica takes over
 * at once instead of after the lease expires (issue 15: the leader deadlocked in JOSDK's {@code System.exit} inside
 * Quarkus's shutdown hook, waited for SIGKILL, and its lease had to expire).
 */
@ExtendWith(E2eExtension.class)
class OperatorShutdownE2E {

    private static final String LEASE_NS = "annealer-system";
    private static final String LEASE = "annealer-operator-lock";
    /** The operator's lease duration (JOSDK's default, which the operator keeps). */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(15);

    @Test
    void sigtermExitsWithinFiveSecondsAndTheOtherReplicaTakesOver(E2eEnvironment env) throws Exception {
        String leaderPod = env.operatorHostname();
        env.await("the operator " + leaderPod + " holds the lease", Duration.ofSeconds(90), LEASE_NS, "-",
                () -> holder(env).startsWith(leaderPod));
        String leader = holder(env);
        String standbyPod = "e2e-operator-standby";
        Process standby = env.startOperatorReplica(standbyPod);
        try {
            env.await("the second replica " + standbyPod + " started (and waits for the lease)", Duration.ofSeconds(90),
                    LEASE_NS, "-", () -> standbyLog(env).contains(" started in "));
            Thread.sleep(3000); // why: a few of its lease polls (retry period 2 s): it must not take the lease
            assertThat(holder(env)).as("the lease while the leader runs").isEqualTo(leader);

            long t0 = System.nanoTime();
            Process old = env.terminateOperator();
            boolean exited = old.waitFor(5, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!exited) {
                old.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(exited).as("the operator exits within 5 s of SIGTERM; log tail:%n%s",
                    E2eEnvironment.tail(Files.readString(env.operatorLog()), 30)).isTrue();
            System.err.printf("e2e: operator exited %.2f s after SIGTERM with %d%n", seconds, old.exitValue());
            assertThat(old.exitValue()).as("exit code after SIGTERM").isZero();
            assertThat(holder(env)).as("the lease right after the leader exited: released or already taken over")
                    .isNotEqualTo(leader);
            env.await("the second replica holds the lease within the lease duration of the SIGTERM",
                    LEASE_DURATION.minusNanos(System.nanoTime() - t0), LEASE_NS, "-",
                    () -> holder(env).startsWith(standbyPod));
            assertThat(standby.isAlive()).as("the second replica keeps running as the new leader").isTrue();
        } finally {
            standby.destroy();
            boolean standbyExited = standby.waitFor(10, TimeUnit.SECONDS);
            if (!standbyExited) {
                standby.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            env.startOperator(); // the environment's own operator again, for the other tests
            assertThat(standbyExited).as("the new leader exits on SIGTERM too").isTrue();
        }
        assertThat(standby.exitValue()).as("the new leader's exit code after SIGTERM").isZero();
    }

    private static String holder(E2eEnvironment env) {
        Lease l = env.client().leases().inNamespace(LEASE_NS).withName(LEASE).get();
        return l == null || l.getSpec() == null || l.getSpec().getHolderIdentity() == null ? ""
                : l.getSpec().getHolderIdentity();
    }

    private static String standbyLog(E2eEnvironment env) throws java.io.IOException {
        var log = env.out().resolve("operator-e2e-operator-standby.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
