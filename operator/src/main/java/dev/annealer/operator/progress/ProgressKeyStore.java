package dev.annealer.operator.progress;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The operator's progress key: key {@value #KEY} of Secret {@code <name>} in the operator's own namespace, created
 * with 32 random bytes by whichever replica gets there first (a 409 means another one did: read theirs). The only
 * Secret the operator reads; the chart's Role {@code <release>-progress-key} grants {@code get} on that one name and
 * {@code create} in that namespace. Deleting the Secret rotates the key at the next operator start: running trainers
 * keep their old token, so their progress is refused until their next attempt.
 */
public final class ProgressKeyStore implements Supplier<byte[]> {

    public static final String KEY = "key";
    private static final Logger LOG = Logger.getLogger(ProgressKeyStore.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KubernetesClient client;
    private final String namespace;
    private final String name;

    public ProgressKeyStore(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    @Override
    public byte[] get() {
        try {
            Secret s = client.secrets().inNamespace(namespace).withName(name).get();
            if (s == null) {
                byte[] fresh = new byte[32];
                RANDOM.nextBytes(fresh);
                try {
                    client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata()
                            .withName(name).withNamespace(namespace)
                            .addToLabels("app.kubernetes.io/managed-by", "annealer-operator")
                            .addToLabels("app.kubernetes.io/component", "progress-key").endMetadata()
                            .withType("Opaque").withData(Map.of(KEY, Base64.getEncoder().encodeToString(fresh)))
                            .build()).create();
                    LOG.infof("created the progress key Secret %s/%s", namespace, name);
                    return fresh;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw e;
                    }
                    s = client.secrets().inNamespace(namespace).withName(name).get(); // another replica won
                }
            }
            return decode(s);
        } catch (KubernetesClientException e) {
            throw new IllegalStateException(String.format("cannot read or create the progress key Secret %s/%s (HTTP %d: %s);"
                    + " the operator's ServiceAccount needs get on that Secret and create on Secrets in %s"
                    + " (the chart's Role <release>-progress-key), and annealer.progress.key-secret"
                    + " (ANNEALER_PROGRESS_KEY_SECRET) must name it", namespace, name, e.getCode(), e.getMessage(), namespace), e);
        }
    }

    private byte[] decode(Secret s) {
        String b64 = s == null || s.getData() == null ? null : s.getData().get(KEY);
        if (b64 == null) {
            throw new IllegalStateException(String.format("Secret %s/%s has no key '%s': delete it and restart the"
                    + " operator to have a new key created", namespace, name, KEY));
        }
        byte[] key = Base64.getDecoder().decode(b64);
        if (key.length < 32) {
            throw new IllegalStateException(String.format("Secret %s/%s: key '%s' has %d bytes, at least 32 are needed;"
                    + " delete it and restart the operator to have a new key created", namespace, name, KEY, key.length));
        }
        return key;
    }
}
