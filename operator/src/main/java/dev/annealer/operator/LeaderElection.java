package dev.annealer.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Singleton;

/**
 * Leader election for running two replicas: only the lease holder reconciles (and so only it polls trainers).
 * QOSDK activates it in the prod profile ({@code quarkus.operator-sdk.activate-leader-election-for-profiles}); the
 * lease lives in the operator's own namespace.
 */
@Singleton
public class LeaderElection extends LeaderElectionConfiguration {
    /** The lease's name. */
    public static final String LEASE_NAME = "annealer-operator-lock";

    public LeaderElection() {
        super(LEASE_NAME);
    }
}
