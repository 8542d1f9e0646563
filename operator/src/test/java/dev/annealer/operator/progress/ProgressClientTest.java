package dev.annealer.operator.progress;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The progress channel against a local fake trainer on 127.0.0.1. */
class ProgressClientTest {

    static final String TOKEN = "s3cret-token";
    static final String BODY = "{\"jobUid\":\"u1\",\"attempt\":2,\"step\":1200,\"epoch\":0.5,\"cycle\":1,\"cycleStep\":700,"
            + "\"cycleLength\":4000,\"learningRate\":2.5e-4,\"loss\":0.31,\"validationLoss\":0.35,\"examplesPerSecond\":900.0,"
            + "\"etaSeconds\":3600,\"lastCheckpoint\":{\"step\":1000,\"time\":\"2026-11-28T10:00:00Z\",\"digest\":\"sha256:cd\","
            + "\"name\":\"step-000000001000\"},\"phase\":\"Running\",\"reportedAt\":\"2026-11-28T10:00:05Z\",\"future\":1}";

    HttpServer server;
    volatile String signature;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/progress", ex -> {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            if (!("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.sendResponseHeaders(401, -1);
                ex.close();
                return;
            }
            if (signature != null) {
                ex.getResponseHeaders().add(ProgressClient.SIGNATURE_HEADER, signature);
            }
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        signature = ProgressClient.sign(BODY.getBytes(StandardCharsets.UTF_8), TOKEN);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    ProgressClient.Result fetch(String token) {
        return new ProgressClient(Duration.ofSeconds(2)).fetch("127.0.0.1", server.getAddress().getPort(), token);
    }

    @Test
    void aSignedReportIsRead() {
        ProgressReport r = fetch(TOKEN).report().orElseThrow();
        assertThat(r.jobUid()).isEqualTo("u1");
        assertThat(r.attempt()).isEqualTo(2);
        assertThat(r.step()).isEqualTo(1200L);
        assertThat(r.cycle()).isEqualTo(1);
        assertThat(r.learningRate()).isEqualTo(2.5e-4);
        assertThat(r.lastCheckpoint().digest()).isEqualTo("sha256:cd");
    }

    @Test
    void aWrongTokenIsRefusedByTheTrainer() {
        assertThat(fetch("wrong").problem()).contains("401");
    }

    @Test
    void aMissingOrForgedSignatureIsRejected() {
        signature = null;
        assertThat(fetch(TOKEN).report()).isEmpty();
        signature = ProgressClient.sign(BODY.getBytes(StandardCharsets.UTF_8), "another-key");
        ProgressClient.Result r = fetch(TOKEN);
        assertThat(r.report()).isEmpty();
        assertThat(r.problem()).contains(ProgressClient.SIGNATURE_HEADER);
    }

    @Test
    void anUnreachableTrainerIsAProblemNotAnException() {
        int port = server.getAddress().getPort();
        server.stop(0);
        ProgressClient.Result r = new ProgressClient(Duration.ofMillis(500)).fetch("127.0.0.1", port, TOKEN);
        assertThat(r.report()).isEmpty();
        assertThat(r.problem()).isNotBlank();
    }

    @Test
    void signatureIsHexHmacSha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assertThat(ProgressClient.sign("what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII), "Jefe"))
                .isEqualTo("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
