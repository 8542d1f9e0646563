package dev.annealer.devcluster;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PodPhasesTest {

    @Test
    void phaseFollowsTheContainers() {
        assertThat(PodPhases.phase(Arrays.asList(null, new PodPhases.Exit(0)))).isEqualTo("Running");
        assertThat(PodPhases.phase(List.of(new PodPhases.Exit(0), new PodPhases.Exit(0)))).isEqualTo("Succeeded");
        assertThat(PodPhases.phase(List.of(new PodPhases.Exit(0), new PodPhases.Exit(75)))).isEqualTo("Failed");
        assertThat(PodPhases.phase(List.of(new PodPhases.Exit(137)))).isEqualTo("Failed");
    }

    @Test
    void reasonsAndRestartsAreTheKubelets() {
        assertThat(PodPhases.reason(0)).isEqualTo("Completed");
        assertThat(PodPhases.reason(75)).isEqualTo("Error");
        assertThat(PodPhases.restarts("Never", 1)).isFalse();
        assertThat(PodPhases.restarts("OnFailure", 0)).isFalse();
        assertThat(PodPhases.restarts("OnFailure", 1)).isTrue();
        assertThat(PodPhases.restarts("Always", 0)).isTrue();
    }

    @Test
    void dollarParenExpansionMatchesKubernetes() {
        Map<String, String> env = new HashMap<>(Map.of("A", "x", "B", "y/z"));
        assertThat(PodRunner.expand("$(A)-$(B)", env)).isEqualTo("x-y/z");
        assertThat(PodRunner.expand("$(MISSING) $$(A) $$", env)).isEqualTo("$(MISSING) $(A) $");
    }

    @Test
    void podAddressesAreDistinctLoopbackAndReused() {
        PodIps ips = new PodIps();
        String a = ips.allocate();
        String b = ips.allocate();
        assertThat(a).isEqualTo("127.0.1.1");
        assertThat(b).isEqualTo("127.0.1.2");
        ips.release(a);
        assertThat(ips.allocate()).isEqualTo("127.0.1.1");
    }
}
