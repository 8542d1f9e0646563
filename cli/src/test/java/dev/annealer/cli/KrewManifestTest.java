package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/krew/annealer.yaml, the krew manifest of {@code kubectl annealer}: krew's own structural rules (those of
 * {@code sigs.k8s.io/krew/internal/index/validation}), and agreement with the plugin's files and with
 * hack/krew-package.sh, which names the archive after {@code uri} and replaces the placeholder {@code sha256}.
 * KubectlPluginE2E installs the packaged archive with the real krew.
 */
class KrewManifestTest {

    static final Path ROOT = Cli.repoRoot();
    static final Path MANIFEST = ROOT.resolve("deploy/krew/annealer.yaml");

    private static JsonNode manifest() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(MANIFEST.toFile());
    }

    @Test
    void isAKrewPluginNamedAfterTheKubectlPluginBinary() throws IOException {
        JsonNode m = manifest();
        assertThat(m.path("apiVersion").asText()).isEqualTo("krew.googlecontainertools.github.com/v1alpha2");
        assertThat(m.path("kind").asText()).isEqualTo("Plugin");
        String name = m.path("metadata").path("name").asText();
        // kubectl runs `kubectl NAME` as the executable kubectl-NAME; krew links that name to the platform's bin
        assertThat(name).isEqualTo("annealer").matches("^[\\w-]+$");
        String shortDescription = m.path("spec").path("shortDescription").asText();
        assertThat(shortDescription).isNotBlank().doesNotContain("\n", "\r");
        assertThat(m.path("spec").path("description").asText()).isNotBlank();
    }

    @Test
    void versionIsTheProjectVersionAsKrewSemver() throws IOException {
        String version = manifest().path("spec").path("version").asText();
        assertThat(version).matches("^v\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$");
        Matcher parent = Pattern.compile("<parent>.*?<version>([^<]+)</version>.*?</parent>", Pattern.DOTALL)
                .matcher(Files.readString(ROOT.resolve("cli/pom.xml")));
        assertThat(parent.find()).isTrue();
        assertThat(version).as("spec.version against the Maven version %s", parent.group(1))
                .isEqualTo("v" + parent.group(1).replace("-SNAPSHOT", ""));
    }

    @Test
    void everyPlatformPointsAtThePackagedArchiveAndThePluginScript() throws IOException {
        JsonNode spec = manifest().path("spec");
        String version = spec.path("version").asText();
        JsonNode platforms = spec.path("platforms");
        assertThat(platforms.isArray() && !platforms.isEmpty()).as("spec.platforms").isTrue();
        for (JsonNode p : platforms) {
            // krew accepts os and arch only, and no empty selector
            List<String> keys = new ArrayList<>();
            p.path("selector").path("matchLabels").fieldNames().forEachRemaining(keys::add);
            p.path("selector").path("matchExpressions").forEach(e -> keys.add(e.path("key").asText()));
            assertThat(keys).isNotEmpty().allMatch(k -> k.equals("os") || k.equals("arch"));

            // hack/krew-package.sh names the archive after uri and fails when they disagree
            assertThat(p.path("uri").asText()).as("uri").endsWith("kubectl-annealer-" + version + ".tar.gz");
            assertThat(Files.readString(ROOT.resolve("hack/krew-package.sh")))
                    .contains("archive=\"kubectl-annealer-$version.tar.gz\"", "s|^    sha256: .*|");
            // the committed template's placeholder; the packaged manifest carries the archive's real sum
            assertThat(p.path("sha256").asText()).as("sha256").matches("^[a-f0-9]{64}$").isEqualTo("0".repeat(64));

            String bin = p.path("bin").asText();
            assertThat(bin).isEqualTo("bin/kubectl-annealer");
            assertThat(Files.isExecutable(ROOT.resolve(bin))).as(bin + " is executable").isTrue();
            assertThat(Files.readString(ROOT.resolve(bin))).startsWith("#!/usr/bin/env bash");

            // the archive holds bin/ and cli/target/ as in the repository (hack/krew-package.sh); the files
            // operations must move the plugin to `bin`, and the CLI it runs for preview (bin/annealer finds
            // ../cli/target/annealer-cli.jar) along with it
            List<String[]> files = new ArrayList<>();
            p.path("files").forEach(f -> files.add(new String[] {f.path("from").asText(), f.path("to").asText()}));
            assertThat(files).isNotEmpty().allMatch(f -> !f[0].isBlank() && !f[1].isBlank());
            assertThat(installedPath(files, "bin/kubectl-annealer")).isEqualTo(bin);
            assertThat(installedPath(files, "bin/annealer")).isEqualTo("bin/annealer");
            assertThat(installedPath(files, "cli/target")).isEqualTo("cli/target");
        }
    }

    @Test
    void archiveLayoutIsWhatThePackagerStages() throws IOException {
        String script = Files.readString(ROOT.resolve("hack/krew-package.sh"));
        // the paths the files operations above rely on
        assertThat(script).contains("cp \"$root/bin/kubectl-annealer\" \"$root/bin/annealer\" \"$out/stage/bin/\"",
                "\"$out/stage/cli/target/\"", "-czf \"$out/$archive\" bin cli");
        assertThat(Set.of("bin/kubectl-annealer", "bin/annealer")).allMatch(f -> Files.isExecutable(ROOT.resolve(f)));
    }

    /**
     * Where archive entry {@code entry} lands after krew's files operations (glob {@code from} of the archive root,
     * moved into {@code to}), or null when none matches.
     */
    private static String installedPath(List<String[]> files, String entry) {
        for (String[] f : files) {
            PathMatcher glob = FileSystems.getDefault().getPathMatcher("glob:" + f[0]);
            if (glob.matches(Path.of(entry))) {
                return f[1] + "/" + Path.of(entry).getFileName();
            }
        }
        return null;
    }
}
