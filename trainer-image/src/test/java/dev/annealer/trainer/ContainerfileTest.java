package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The image is built by hack/images.sh (`make images`, multi-GB, not part of `make test`): this checks that what the
 * Containerfile and the script name exists in the build: the jar the package phase produces, the lib/ directory, the
 * launcher and its main class, the pod contract (user, workdir, default args) and the cuda profile's native jar.
 */
class ContainerfileTest {
  static final Path MODULE = Path.of("").toAbsolutePath();
  static final Path ROOT = MODULE.getParent();

  @Test
  void containerfileAndImageScriptNameWhatTheBuildProduces() throws Exception {
    String containerfile = Files.readString(MODULE.resolve("Containerfile"));
    String script = Files.readString(ROOT.resolve("hack/images.sh"));
    String pom = Files.readString(MODULE.resolve("pom.xml"));

    // hack/images.sh stages target/<finalName>.jar and target/lib/, the Containerfile copies them
    assertThat(script).contains("\"$target/annealer-trainer.jar\"", "\"$target\"/lib/*.jar");
    assertThat(pom).contains("<finalName>annealer-trainer</finalName>")
        .contains("<outputDirectory>${project.build.directory}/lib</outputDirectory>");
    assertThat(containerfile).contains("COPY annealer-trainer.jar /opt/annealer/annealer-trainer.jar",
        "COPY lib /opt/annealer/lib", "COPY djl-cache /opt/annealer/djl-cache", "COPY examples /opt/annealer/examples");

    Matcher entry = Pattern.compile("COPY (\\S+) /usr/local/bin/(\\S+)").matcher(containerfile);
    assertThat(entry.find()).isTrue();
    assertThat(containerfile).contains("ENTRYPOINT [\"" + entry.group(2) + "\"]");
    Path launcherScript = MODULE.resolve("bin").resolve(entry.group(1));
    assertThat(script).contains("cp \"$ROOT/trainer-image/bin/" + entry.group(1) + "\"");
    assertThat(launcherScript).exists().isExecutable();
    String launcher = Files.readString(launcherScript);
    Matcher main = Pattern.compile("(dev\\.annealer\\.trainer\\.\\w+) \"\\$@\"").matcher(launcher);
    assertThat(main.find()).isTrue();
    assertThat(Class.forName(main.group(1)).getMethod("main", String[].class)).isNotNull();
    assertThat(launcher).contains("-Dai.djl.offline=true").contains("$home/annealer-trainer.jar");

    // the pod contract: non-root 10001, WORKDIR with examples/, the baked DJL cache, default args
    assertThat(containerfile).contains("USER 10001:10001", "WORKDIR /opt/annealer", "DJL_CACHE_DIR=/opt/annealer/djl-cache",
        "\"train\", \"-f\", \"/etc/annealer/job/job.yaml\", \"--checkpoint-dir\", \"/var/lib/annealer/checkpoints\"");
    assertThat(ROOT.resolve("examples")).isDirectory();
    assertThat(containerfile).as("no base image from a registry").doesNotContainPattern("(?m)^FROM (?!\\$\\{BASE\\})");

    // the CUDA flavour: the script unpacks the cuda profile's native jar
    assertThat(pom).contains("<artifactId>pytorch-native-cu124</artifactId>");
    assertThat(script).contains("pytorch-native-cu124", "jnilib/linux-x86_64/$flavor/libdjl_torch.so");
  }
}
