package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code annealer train} is the trainer's own command (the trainer module tests training itself). */
class TrainDelegationTest {

    @Test
    void trainIsTheTrainersCommand() {
        Cli r = Cli.run("train", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--checkpoint-dir", "--device", "-f");
        assertThat(Cli.run("--help").out()).contains("train", "schedule");
    }

    @Test
    void aMissingManifestIsBadInput(@TempDir Path tmp) {
        Cli r = Cli.run("train", "-f", tmp.resolve("nope.yaml").toString(), "--checkpoint-dir", tmp.resolve("ck").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out() + r.err()).contains("nope.yaml: no such file").doesNotContain("\tat ");
    }
}
