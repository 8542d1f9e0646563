package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The image cannot be built here (no container engine), so this checks that what the Containerfile names exists in
 * the build: the jar the package phase produces, the lib/ directory, the entrypoint script and the main class.
 */
class ContainerfileTest {
  static final Path MODULE = Path.of("").toAbsolutePath();

  @Test
  void jarAndEntrypointNamedByTheContainerfileExist() throws Exception {
    String containerfile = Files.readString(MODULE.resolve("Containerfile"));
    String pom = Files.readString(MODULE.resolve("pom.xml"));

    Matcher jar = Pattern.compile("cp trainer-image/target/(\\S+)\\.jar /opt/annealer/").matcher(containerfile);
    assertThat(jar.find()).as("Containerfile copies the trainer jar").isTrue();
    assertThat(pom).as("pom finalName produces the jar the Containerfile copies")
        .contains("<finalName>" + jar.group(1) + "</finalName>");
    assertThat(containerfile).contains("cp trainer-image/target/lib/*.jar /opt/annealer/lib/");
    assertThat(pom).contains("<outputDirectory>${project.build.directory}/lib</outputDirectory>");

    Matcher entry = Pattern.compile("COPY (trainer-image/bin/(\\S+)) /usr/local/bin/(\\S+)").matcher(containerfile);
    assertThat(entry.find()).isTrue();
    assertThat(containerfile).contains("ENTRYPOINT [\"" + entry.group(3) + "\"]");
    Path script = MODULE.getParent().resolve(entry.group(1));
    assertThat(script).exists().isExecutable();
    String launcher = Files.readString(script);
    Matcher main = Pattern.compile("(dev\\.annealer\\.trainer\\.\\w+) \"\\$@\"").matcher(launcher);
    assertThat(main.find()).isTrue();
    assertThat(Class.forName(main.group(1)).getMethod("main", String[].class)).isNotNull();
    assertThat(launcher).contains("-Dai.djl.offline=true").contains("$home/annealer-trainer.jar");
    assertThat(Class.forName("dev.annealer.trainer.TrainerMain").getName()).isEqualTo(main.group(1));

    // the pod contract: non-root, WORKDIR with examples/, default args
    assertThat(containerfile).contains("USER 10001", "WORKDIR /opt/annealer", "cp -r examples /opt/annealer/examples",
        "\"train\", \"-f\", \"/etc/annealer/job/job.yaml\", \"--checkpoint-dir\", \"/var/lib/annealer/checkpoints\"");
    assertThat(MODULE.getParent().resolve("examples")).isDirectory();
    assertThat(containerfile).contains("dev.annealer.trainer.TrainerMain engine-info");
  }
}
