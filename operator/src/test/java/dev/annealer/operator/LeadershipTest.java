package dev.annealer.operator;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Leadership}'s decisions: release the lease when shutting down, exit when it is lost while running. */
class LeadershipTest {

    @Test
    void shuttingDownReleasesTheLeaseLosingItWhileRunningExits() {
        assertThat(Leadership.decide(true)).isEqualTo(Leadership.OnStopLeading.RELEASE_LEASE);
        assertThat(Leadership.decide(false)).isEqualTo(Leadership.OnStopLeading.EXIT);
    }

    @Test
    void identityIsThePodNamePlusARandomSuffix() {
        UUID u = UUID.fromString("0123abcd-0000-0000-0000-000000000000");
        assertThat(Leadership.identity("annealer-operator-5d8f-x2", u)).isEqualTo("annealer-operator-5d8f-x2_0123abcd");
        assertThat(Leadership.identity(null, u)).isEqualTo("0123abcd");
        assertThat(Leadership.identity("  ", u)).isEqualTo("0123abcd");
        assertThat(Leadership.identity("pod", UUID.randomUUID())).isNotEqualTo(Leadership.identity("pod", UUID.randomUUID()));
    }
}
