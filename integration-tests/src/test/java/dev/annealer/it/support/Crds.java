package dev.annealer.it.support;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Installs CRDs with server-side apply and waits until they serve. */
public final class Crds {

    private Crds() {
    }

    /** Applies the CRD in {@code file} (server-side apply, idempotent) and returns it once Established. */
    public static CustomResourceDefinition install(KubernetesClient client, Path file) {
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(file)) {
            crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        client.resource(crd).fieldManager("annealer-it").forceConflicts().serverSideApply();
        String name = crd.getMetadata().getName();
        Awaitility.await("CRD " + name + " Established").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> isEstablished(client.apiextensions().v1().customResourceDefinitions().withName(name).get()));
        return client.apiextensions().v1().customResourceDefinitions().withName(name).get();
    }

    public static boolean isEstablished(CustomResourceDefinition crd) {
        return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
                && crd.getStatus().getConditions().stream()
                .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
