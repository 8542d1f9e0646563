package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.DecimalFormat;
import org.junit.jupiter.api.Test;

/** The plot's axes: round x ticks and plain y decimals. */
class PlotsTest {

    @Test
    void theXAxisEndsOnARoundNumberSoItsTicksAreRound() {
        assertThat(Plots.niceAxisMax(1724)).isEqualTo(1800);
        assertThat(Plots.niceAxisMax(1000)).isEqualTo(1000);
        assertThat(Plots.niceAxisMax(99)).isEqualTo(100);
        assertThat(Plots.niceAxisMax(20000)).isEqualTo(20000);
        assertThat(Plots.niceAxisMax(1)).isEqualTo(1);
    }

    @Test
    void theYAxisReadsPlainDecimals() {
        assertThat(new DecimalFormat(Plots.plainPattern(3.0e-3)).format(3.0e-3)).isEqualTo("0.003");
        assertThat(new DecimalFormat(Plots.plainPattern(3.0e-3)).format(2.5e-3)).isEqualTo("0.0025");
        assertThat(new DecimalFormat(Plots.plainPattern(0.1)).format(0.05)).isEqualTo("0.05");
        assertThat(Plots.plainPattern(3.0e-3)).doesNotContain("E");
    }
}
