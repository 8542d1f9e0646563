package dev.annealer.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.UUID;

/**
 * What the operator does when it stops leading, instead of JOSDK's {@code System.exit(1)}.
 *
 * <p>JOSDK calls its stop-leading callback in two situations: the lease was lost while running (another replica may
 * now reconcile: this process must go, as JOSDK's default does), and the operator is being stopped, which QOSDK does
 * from Quarkus's {@code ShutdownEvent}, i.e. inside the JVM's shutdown hook on SIGTERM. There, {@code System.exit}
 * blocks forever (the JVM is already exiting and waits for the very hook that calls it): the process hung until
 * SIGKILL and its lease had to expire before another replica could take over. So the leader election is configured
 * not to exit ({@link LeaderElection}) and this class decides:
 * <ul>
 *   <li>during shutdown: release the lease (holder cleared, duration 1 s, as client-go's {@code ReleaseOnCancel}
 *       does), so the next replica takes over within its retry period, and let the shutdown finish (exit 0);</li>
 *   <li>otherwise: log and exit with 1 from outside the leader-election thread ({@link Quarkus#asyncExit}), so the
 *       Deployment starts a fresh process.</li>
 * </ul>
 */
@Singleton
public class Leadership {

    private static final Logger LOG = Logger.getLogger(Leadership.class);

    /** What to do when leadership ends. */
    public enum OnStopLeading {
        /** The process is shutting down: give the lease back. */
        RELEASE_LEASE,
        /** The lease was lost while running: exit (1) so no two replicas reconcile at once. */
        EXIT
    }

    private final Instance<KubernetesClient> client;
    private final String identity;
    private volatile boolean shuttingDown;

    public Leadership(Instance<KubernetesClient> client) {
        this.client = client;
        this.identity = identity(System.getenv("HOSTNAME"), UUID.randomUUID());
    }

    /**
     * This replica's lease identity: the pod name ({@code HOSTNAME}) plus a random suffix, so that a restarted
     * container, or two processes started with the same name outside a cluster, never share an identity.
     */
    static String identity(String hostname, UUID random) {
        String suffix = random.toString().substring(0, 8);
        return hostname == null || hostname.isBlank() ? suffix : hostname.strip() + "_" + suffix;
    }

    public String identity() {
        return identity;
    }

    /** The decision (pure). */
    static OnStopLeading decide(boolean shuttingDown) {
        return shuttingDown ? OnStopLeading.RELEASE_LEASE : OnStopLeading.EXIT;
    }

    /**
     * Marks the shutdown before QOSDK's own {@code ShutdownEvent} observer stops the operator (which ends the leader
     * election): observers with a smaller priority run first.
     */
    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        shuttingDown = true;
    }

    /** JOSDK's stop-leading callback. */
    void stoppedLeading() {
        switch (decide(shuttingDown)) {
            case RELEASE_LEASE -> release();
            case EXIT -> {
                LOG.errorf("lost the leader-election lease %s as %s while running: exiting (1) so that only the new "
                        + "leader reconciles", LeaderElection.LEASE_NAME, identity);
                Quarkus.asyncExit(1);
            }
        }
    }

    /** Gives the lease back if this replica still holds it; a failure only costs the lease duration. */
    private void release() {
        try {
            KubernetesClient c = client.get();
            String ns = c.getConfiguration().getNamespace();
            Lease lease = c.leases().inNamespace(ns).withName(LeaderElection.LEASE_NAME).get();
            if (lease == null || lease.getSpec() == null || !identity.equals(lease.getSpec().getHolderIdentity())) {
                return;
            }
            ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
            lease.getSpec().setHolderIdentity("");
            lease.getSpec().setLeaseDurationSeconds(1);
            lease.getSpec().setAcquireTime(now);
            lease.getSpec().setRenewTime(now);
            // why update (PUT with resourceVersion): if another replica took the lease meanwhile, this fails (409)
            c.leases().inNamespace(ns).resource(lease).update();
            LOG.infof("released the leader-election lease %s/%s (was held by %s)", ns, LeaderElection.LEASE_NAME,
                    identity);
        } catch (KubernetesClientException | IllegalStateException e) {
            LOG.warnf("could not release the leader-election lease %s (%s): another replica takes over when it "
                    + "expires", LeaderElection.LEASE_NAME, e.getMessage());
        }
    }
}
