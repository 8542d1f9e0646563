package dev.annealer.operator.progress;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Per-job progress tokens derived from the operator's key, and the key's Secret in the operator's namespace. */
@EnableKubernetesMockClient(crud = true)
class ProgressTokensTest {

    static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    KubernetesClient client;

    @Test
    void theTokenIsTheHmacOfTheJobUidUnderTheKey() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        String expected = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal("annealer.dev/progress/v1:uid-1".getBytes(StandardCharsets.UTF_8)));
        ProgressTokens tokens = ProgressTokens.ofKey(KEY);
        assertThat(tokens.tokenFor("uid-1")).isEqualTo(expected).hasSize(43);
        assertThat(tokens.tokenFor("uid-1")).as("stable: any replica, any restart").isEqualTo(expected);
        assertThat(tokens.tokenFor("uid-2")).as("one token per job").isNotEqualTo(expected);
        byte[] other = KEY.clone();
        other[0] ^= 1;
        assertThat(ProgressTokens.ofKey(other).tokenFor("uid-1")).as("another key, another token").isNotEqualTo(expected);
    }

    @Test
    void theKeyIsLoadedOnceOnFirstUse() {
        AtomicInteger loads = new AtomicInteger();
        ProgressTokens tokens = new ProgressTokens(() -> {
            loads.incrementAndGet();
            return KEY.clone();
        });
        assertThat(loads).hasValue(0);
        tokens.tokenFor("a");
        tokens.tokenFor("b");
        assertThat(loads).hasValue(1);
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        assertThatThrownBy(() -> ProgressTokens.ofKey(new byte[8]).tokenFor("u")).hasMessageContaining("at least 32 bytes, got 8");
        assertThatThrownBy(() -> ProgressTokens.ofKey(KEY).tokenFor(" ")).hasMessageContaining("metadata.uid");
    }

    @Test
    void secretsEnsuredAreRememberedPerJob() {
        ProgressTokens tokens = ProgressTokens.ofKey(KEY);
        assertThat(tokens.secretEnsured("u")).isFalse();
        tokens.markSecretEnsured("u");
        assertThat(tokens.secretEnsured("u")).isTrue();
        assertThat(tokens.secretEnsured("v")).isFalse();
        assertThat(tokens.secretEnsured(null)).isFalse();
    }

    @Test
    void theFirstReplicaCreatesTheKeyAndTheOthersReadIt() {
        client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                .withName("annealer-system").endMetadata().build()).create();
        byte[] first = new ProgressKeyStore(client, "annealer-system", "k").get();
        assertThat(first).hasSize(32);
        assertThat(client.secrets().inNamespace("annealer-system").withName("k").get().getData())
                .containsEntry(ProgressKeyStore.KEY, Base64.getEncoder().encodeToString(first));
        byte[] second = new ProgressKeyStore(client, "annealer-system", "k").get();
        assertThat(second).isEqualTo(first);
        byte[] elsewhere = new ProgressKeyStore(client, "annealer-system", "k2").get();
        assertThat(Arrays.equals(elsewhere, first)).as("random, not a constant").isFalse();
    }

    @Test
    void aKeySecretWithoutAUsableKeyIsAnErrorNamingTheSecretAndTheFix() {
        client.secrets().inNamespace("ns").resource(new SecretBuilder().withNewMetadata().withName("k").endMetadata()
                .withData(Map.of("other", "eA==")).build()).create();
        assertThatThrownBy(() -> new ProgressKeyStore(client, "ns", "k").get())
                .hasMessageContaining("Secret ns/k has no key 'key'").hasMessageContaining("delete it and restart");
        client.secrets().inNamespace("ns").resource(new SecretBuilder().withNewMetadata().withName("short").endMetadata()
                .withData(Map.of("key", "eA==")).build()).create();
        assertThatThrownBy(() -> new ProgressKeyStore(client, "ns", "short").get())
                .hasMessageContaining("has 1 bytes, at least 32");
    }
}
