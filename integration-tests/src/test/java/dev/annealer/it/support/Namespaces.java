package dev.annealer.it.support;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/** Fresh namespaces, so tests sharing one API server never see each other's objects. */
public final class Namespaces {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private Namespaces() {
    }

    /** Creates {@code <prefix>-<n>} (lower-cased, DNS-1123) and returns its name. */
    public static String create(KubernetesClient client, String prefix) {
        String name = (prefix + "-" + COUNTER.incrementAndGet()).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .create();
        return name;
    }
}
