package dev.annealer.operator;

import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;
import sun.misc.Signal;

/**
 * SIGTERM (a Deployment rollout, a pod deletion, Ctrl-C's cousin from scripts) stops the operator like
 * {@code Quarkus.asyncExit(0)}: the application stops on an ordinary thread (QOSDK stops the operator, which ends
 * the leader election and releases the lease, see {@link Leadership}), then the process exits with 0. Without this
 * the JVM's default handling stops the application inside a shutdown hook and exits with 143.
 */
@Singleton
@IfBuildProfile("prod") // why: never the TERM handling of a test JVM
public class GracefulStop {

    private static final Logger LOG = Logger.getLogger(GracefulStop.class);

    void onStart(@Observes StartupEvent event) {
        Signal.handle(new Signal("TERM"), signal -> {
            LOG.info("SIGTERM: stopping the operator");
            Quarkus.asyncExit(0);
        });
    }
}
