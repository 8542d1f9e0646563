package dev.annealer.devcluster;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ImageMapTest {

    private final ImageMap map = new ImageMap("/jdk/bin/java", List.of("-Xmx1g"), Path.of("/jars/trainer.jar"));

    @Test
    void trainerImageRunsTheTrainerJarWithThePodArgs() {
        ImageMap.Launch l = map.launch("ghcr.io/annealer/annealer-trainer:0.1.0", null,
                List.of("train", "-f", "job.yaml"), new String[1]).orElseThrow();
        assertThat(l.trainer()).isTrue();
        assertThat(l.argv()).containsExactly("/jdk/bin/java", "-Xmx1g", "-jar", "/jars/trainer.jar", "train", "-f",
                "job.yaml");
        assertThat(map.launch("ghcr.io/annealer/annealer-trainer:0.1.0", List.of("annealer-trainer"), List.of("x"),
                new String[1]).orElseThrow().argv()).endsWith("/jars/trainer.jar", "x");
    }

    @Test
    void explicitCommandsRunOnTheHostAndPauseSleeps() {
        assertThat(map.launch("busybox", List.of("sh", "-c"), List.of("exit 3"), new String[1]).orElseThrow().argv())
                .containsExactly("sh", "-c", "exit 3");
        assertThat(map.launch("registry.k8s.io/pause:3.10", null, null, new String[1]).orElseThrow().argv())
                .containsExactly("sleep", "infinity");
    }

    @Test
    void unknownImageWithoutCommandSaysWhatToDo() {
        String[] why = new String[1];
        assertThat(map.launch("nginx:1.27", null, null, why)).isEmpty();
        assertThat(why[0]).contains("nginx:1.27").contains("give the container a command");
        String[] noJar = new String[1];
        assertThat(new ImageMap("java", List.of(), null).launch("annealer-trainer:1", null, null, noJar)).isEmpty();
        assertThat(noJar[0]).contains("--trainer-jar");
    }
}
