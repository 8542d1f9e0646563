package dev.annealer.it;

import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.HelmCli;
import dev.annealer.it.support.LocalRegistry;
import dev.annealer.it.support.RepoFiles;
import dev.annealer.it.support.Yaml;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.io.Reader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The install path of docs/operations/install.md ("2a. With Helm, from an OCI registry"), step by step: a real OCI
 * registry (the CNCF distribution registry, hack/registry.sh) on 127.0.0.1, {@code helm package} and {@code helm push}
 * of charts/annealer to it, then {@code helm install annealer oci://127.0.0.1:<port>/charts/annealer --version <v>}
 * into a real kube-apiserver. No pod runs (no node in this tier).
 */
@RealApiServer
class HelmOciRegistryIT {

    static final String NS = "annealer-oci-it";
    static final String RELEASE = "annealer-oci";

    @Test
    @SuppressWarnings("unchecked")
    void helmPushToTheLocalRegistryThenHelmInstallFromIt(ControlPlane cp, @TempDir Path tmp) throws Exception {
        HelmCli helm = HelmCli.find(cp);
        KubernetesClient admin = cp.adminClient();
        String version = (String) ((Map<String, Object>) Yaml.documents(RepoFiles.root().resolve("charts/annealer/Chart.yaml"))
                .get(0)).get("version");
        Properties images = new Properties();
        try (Reader r = Files.newBufferedReader(RepoFiles.root().resolve("images.properties"))) {
            images.load(r);
        }
        try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
            String packaged = helm.run("package", RepoFiles.root().resolve("charts/annealer").toString(), "-d", tmp.toString());
            Path tgz = tmp.resolve("annealer-" + version + ".tgz");
            assertThat(packaged).contains(tgz.toString());

            helm.run("push", tgz.toString(), "oci://" + registry.host() + "/charts", "--plain-http");
            assertThat(registry.get("/v2/_catalog").body()).contains("\"charts/annealer\"");
            assertThat(registry.get("/v2/charts/annealer/tags/list").body()).contains("\"" + version + "\"");

            String ref = "oci://" + registry.host() + "/charts/annealer";
            assertThat(helm.run("show", "chart", ref, "--version", version, "--plain-http"))
                    .contains("name: annealer", "version: " + version);

            String imageRegistry = registry.host() + "/annealer";
            helm.run("install", RELEASE, ref, "--version", version, "--plain-http", "-n", NS, "--create-namespace",
                    "--set", "imageRegistry=" + imageRegistry);
            assertThat(helm.run("list", "-n", NS, "-o", "json"))
                    .contains("\"name\":\"" + RELEASE + "\"", "\"status\":\"deployed\"", "\"chart\":\"annealer-" + version + "\"");
            Deployment d = admin.apps().deployments().inNamespace(NS).withName(RELEASE).get();
            assertThat(d).as("Deployment from the pulled chart").isNotNull();
            assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo(
                    imageRegistry + "/" + images.getProperty("OPERATOR_IMAGE") + ":" + images.getProperty("IMAGE_TAG"));
            assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("finetunejobs.annealer.dev").get())
                    .as("the CRD, from the chart's crds/").isNotNull();

            helm.run("uninstall", RELEASE, "-n", NS, "--wait");
            assertThat(admin.apps().deployments().inNamespace(NS).withName(RELEASE).get()).isNull();
            assertThat(Files.readString(registry.log())).doesNotContain("panic");
        }
    }
}
