package dev.annealer.operator;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * Leader election for running two replicas: only the lease holder reconciles (and so only it polls trainers).
 * QOSDK activates it in the prod profile ({@code quarkus.operator-sdk.activate-leader-election-for-profiles}); the
 * lease lives in the operator's own namespace. JOSDK's defaults for the timing (lease 15 s, renew deadline 10 s,
 * retry 2 s); its {@code System.exit} on stop-leading is off: {@link Leadership} decides instead (release the lease
 * when shutting down, exit when the lease is lost while running).
 */
@Singleton
public class LeaderElection extends LeaderElectionConfiguration {
    /** The lease's name. */
    public static final String LEASE_NAME = "annealer-operator-lock";

    @Inject
    public LeaderElection(Leadership leadership) {
        super(LEASE_NAME, null, LEASE_DURATION_DEFAULT_VALUE, RENEW_DEADLINE_DEFAULT_VALUE, RETRY_PERIOD_DEFAULT_VALUE,
                leadership.identity(),
                new LeaderCallbacks(() -> { }, leadership::stoppedLeading, newLeader -> { }),
                false);
    }
}
