package dev.annealer.operator.build;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import dev.annealer.operator.act.TrainerSettings;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * images.properties is the one source of truth for image names and tags: what `make images` builds (hack/images.sh
 * reads it) is what application.properties, the chart, deploy/install.yaml and the docs name.
 */
class ImageNamesTest {

    static final Path ROOT = GeneratedFiles.ROOT;
    static final Properties IMAGES = load(ROOT.resolve("images.properties"));
    static final String REGISTRY = IMAGES.getProperty("IMAGE_REGISTRY");
    static final String TAG = IMAGES.getProperty("IMAGE_TAG");
    static final String OPERATOR = REGISTRY + "/" + IMAGES.getProperty("OPERATOR_IMAGE") + ":" + TAG;
    static final String TRAINER = REGISTRY + "/" + IMAGES.getProperty("TRAINER_IMAGE") + ":" + TAG;
    static final String TRAINER_CUDA = TRAINER + IMAGES.getProperty("TRAINER_CUDA_SUFFIX");

    static Properties load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
        return p;
    }

    @Test
    void sourceOfTruthIsComplete() {
        for (String key : List.of("IMAGE_REGISTRY", "IMAGE_TAG", "OPERATOR_IMAGE", "TRAINER_IMAGE", "TRAINER_CUDA_SUFFIX")) {
            assertThat(IMAGES.getProperty(key)).as("images.properties " + key).isNotBlank().doesNotContain(" ", "\"");
        }
    }

    @Test
    void versionsAgree() throws IOException {
        JsonNode chart = ChartTest.YAML.readTree(ROOT.resolve("charts/annealer/Chart.yaml").toFile());
        assertThat(chart.get("appVersion").asText()).as("Chart.yaml appVersion = images.properties IMAGE_TAG").isEqualTo(TAG);
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        var m = Pattern.compile("<artifactId>annealer-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertThat(m.find()).isTrue();
        assertThat(m.group(1).replace("-SNAPSHOT", "")).as("the Maven version without -SNAPSHOT = IMAGE_TAG").isEqualTo(TAG);
    }

    @Test
    void operatorDefaultsNameTheBuiltImages() {
        Properties app = load(ROOT.resolve("operator/src/main/resources/application.properties"));
        assertThat(app.getProperty("annealer.trainer.image")).isEqualTo(TRAINER);
        assertThat(app.getProperty("annealer.trainer.gpu-image")).isEqualTo(TRAINER_CUDA);
        assertThat(app.getProperty("quarkus.container-image.registry") + "/" + app.getProperty("quarkus.container-image.group")
                + "/" + app.getProperty("quarkus.container-image.name") + ":" + app.getProperty("quarkus.container-image.tag"))
                .isEqualTo(OPERATOR);
        assertThat(TrainerSettings.DEFAULT.cpuImage()).isEqualTo(TRAINER);
        assertThat(TrainerSettings.DEFAULT.gpuImage()).isEqualTo(TRAINER_CUDA);
    }

    @Test
    @SuppressWarnings("unchecked")
    void chartDefaultsRenderTheBuiltImages() throws IOException {
        for (String text : List.of(new Helm(ChartTest.CHART).template().withName("annealer").withNamespace("annealer-system").call(),
                Files.readString(StaticManifestTest.MANIFEST))) {
            Map<String, Object> deployment = ChartTest.kind(ChartTest.render(text), "Deployment").get(0);
            Map<String, Object> container = ((List<Map<String, Object>>) ((Map<String, Object>) ((Map<String, Object>)
                    ((Map<String, Object>) deployment.get("spec")).get("template")).get("spec")).get("containers")).get(0);
            assertThat(container.get("image")).isEqualTo(OPERATOR);
            Map<String, Object> env = new java.util.HashMap<>();
            ((List<Map<String, Object>>) container.get("env")).forEach(e -> env.put((String) e.get("name"), e.get("value")));
            assertThat(env).containsEntry("ANNEALER_TRAINER_IMAGE", TRAINER).containsEntry("ANNEALER_TRAINER_GPU_IMAGE", TRAINER_CUDA);
        }
    }

    @Test
    void chartRegistryOverrideMovesEveryImage() throws IOException {
        String text = new Helm(ChartTest.CHART).template().withName("annealer").withNamespace("annealer-system")
                .set("imageRegistry", "127.0.0.1:5000/team").call();
        assertThat(text).contains("image: \"127.0.0.1:5000/team/annealer-operator:" + TAG + "\"",
                "\"127.0.0.1:5000/team/annealer-trainer:" + TAG + "\"",
                "\"127.0.0.1:5000/team/annealer-trainer:" + TAG + IMAGES.getProperty("TRAINER_CUDA_SUFFIX") + "\"");
    }

    @Test
    void docsNameTheBuiltImagesAndNothingElse() throws IOException {
        Pattern ref = Pattern.compile("[\\w.:/<>-]*annealer-(operator|trainer):[\\w.<>-]+");
        List<Path> docs;
        try (Stream<Path> s = Files.walk(ROOT.resolve("docs"))) {
            docs = s.filter(p -> p.toString().endsWith(".md")).toList();
        }
        for (Path doc : Stream.concat(docs.stream(), Stream.of(ROOT.resolve("README.md"))).toList()) {
            var m = ref.matcher(Files.readString(doc));
            while (m.find()) {
                String r = m.group();
                if (!r.contains("/")) {
                    continue; // a bare name (annealer-trainer:<version>) names no registry
                }
                assertThat(r).as(ROOT.relativize(doc) + " names image " + r + ": use the names of images.properties")
                        .satisfiesAnyOf(x -> assertThat(x).startsWith(REGISTRY + "/"), x -> assertThat(x).startsWith("<"),
                                x -> assertThat(x).startsWith("$"), x -> assertThat(x).startsWith("REGISTRY/"),
                                x -> assertThat(x).startsWith("127.0.0.1"));
                if (r.startsWith(REGISTRY + "/") && !r.contains("<")) {
                    assertThat(List.of(OPERATOR, TRAINER, TRAINER_CUDA)).as(ROOT.relativize(doc) + ": " + r).contains(r);
                }
            }
        }
        String install = Files.readString(ROOT.resolve("docs/operations/install.md"));
        assertThat(install).contains(OPERATOR, TRAINER, TRAINER_CUDA, "make images", "deploy/install.yaml");
    }
}
