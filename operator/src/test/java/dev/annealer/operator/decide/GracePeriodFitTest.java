package dev.annealer.operator.decide;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GracePeriodFitTest {
    static final long MIB = 1 << 20;

    static Stream<Arguments> cases() {
        return Stream.of(
                // bytes, bytes/s, grace -> fits, needed grace
                Arguments.of(48 * MIB, 500.0 * MIB, 30L, true, 30L),         // 0.1 s: fits the Kubernetes default
                Arguments.of(1024 * MIB, 100.0 * MIB, 30L, true, 30L),       // 10.24 s * 1.5 + 10 = 25.4 s <= 30
                Arguments.of(1024 * MIB, 50.0 * MIB, 30L, false, 60L),       // 20.5 s * 1.5 + 10 = 40.7 s > 30
                Arguments.of(16 * 1024 * MIB, 328.0 * MIB, 30L, false, 90L), // the 1B full fine-tune: 50 s
                Arguments.of(16 * 1024 * MIB, 328.0 * MIB, 120L, true, 90L));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void decidesWhetherTheSigtermCheckpointFits(long bytes, double rate, long grace, boolean fits, long needed) {
        GracePeriodFit.Verdict v = GracePeriodFit.decide(bytes, rate, grace).orElseThrow();
        assertThat(v.fits()).isEqualTo(fits);
        assertThat(v.neededGraceSeconds()).isEqualTo(needed);
        assertThat(v.estimatedWriteSeconds()).isEqualTo(bytes / rate);
        if (!fits) {
            assertThat(v.message()).contains("terminationGracePeriodSeconds: " + needed)
                    .contains("terminationGracePeriodSeconds " + grace);
        }
    }

    @org.junit.jupiter.api.Test
    void nothingMeasuredNoVerdict() {
        assertThat(GracePeriodFit.decide(null, 1.0, 30)).isEmpty();
        assertThat(GracePeriodFit.decide(100L, null, 30)).isEmpty();
        assertThat(GracePeriodFit.decide(100L, 0.0, 30)).isEmpty();
    }
}
