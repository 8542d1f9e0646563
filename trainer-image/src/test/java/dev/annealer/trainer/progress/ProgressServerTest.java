package dev.annealer.trainer.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressServerTest {
  static ProgressReport report() {
    return new ProgressReport("uid-1", 2, 120, 1.5, 3, 7, 40, 1e-3, 0.25, 0.3, 1000, 12.0,
        new ProgressReport.LastCheckpoint(100, "2026-11-28T17:00:00Z", "sha256:ab", "step-000000000100"),
        ProgressReport.RUNNING, "2026-11-28T17:00:01Z");
  }

  @Test
  void progressNeedsTheBearerTokenAndIsSigned() throws Exception {
    TrainerMetrics metrics = new TrainerMetrics();
    metrics.update(report());
    try (ProgressServer s = ProgressServer.start("127.0.0.1", 0, "s3cret", ProgressServerTest::report, metrics.registry)) {
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + s.port() + "/v1/progress");
      assertThat(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(401);
      assertThat(http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer wrong").build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
      HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer s3cret").build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(ok.statusCode()).isEqualTo(200);
      String body = new String(ok.body(), StandardCharsets.UTF_8);
      assertThat(body).contains("\"jobUid\":\"uid-1\"", "\"step\":120", "\"cycle\":3", "\"phase\":\"Running\"",
          "\"lastCheckpoint\":{\"step\":100");
      // the operator's check: HMAC-SHA256 over the exact body bytes, keyed with the token
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec("s3cret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      String expected = "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(ok.body()));
      assertThat(ok.headers().firstValue("X-Annealer-Signature")).contains(expected);

      HttpResponse<String> metricsPage = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port()
          + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(metricsPage.statusCode()).isEqualTo(200);
      assertThat(metricsPage.body()).contains("annealer_trainer_step 120.0", "annealer_trainer_learning_rate 0.001",
          "annealer_trainer_checkpoints_total");
    }
  }

  @Test
  void withoutAConfiguredTokenNobodyGetsProgress() {
    assertThat(ProgressServer.authorized("Bearer ", "")).isFalse();
    assertThat(ProgressServer.authorized("Bearer x", null)).isFalse();
    assertThat(ProgressServer.authorized("Basic eA==", "x")).isFalse();
    assertThat(ProgressServer.authorized("Bearer x", "x")).isTrue();
  }

  /** Slow or stuck clients (a scraper, a port scan, a slowloris) must not keep the operator from its progress. */
  @Test
  void clientsThatNeverFinishTheirRequestDoNotBlockTheOperator() throws Exception {
    TrainerMetrics metrics = new TrainerMetrics();
    try (ProgressServer s = ProgressServer.start("127.0.0.1", 0, "s3cret", ProgressServerTest::report, metrics.registry)) {
      java.util.List<java.net.Socket> stuck = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < ProgressServer.THREADS - 1; i++) {
          java.net.Socket sock = new java.net.Socket("127.0.0.1", s.port());
          sock.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
          sock.getOutputStream().flush(); // ...and never the blank line that ends the headers
          stuck.add(sock);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5)).build();
        HttpResponse<byte[]> ok = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port()
                + "/v1/progress")).header("Authorization", "Bearer s3cret").build(), HttpResponse.BodyHandlers.ofByteArray())
            .get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ok.statusCode()).isEqualTo(200);
      } finally {
        for (java.net.Socket sock : stuck) {
          sock.close();
        }
      }
    }
    // the JDK server's own bounds on reading a request and writing a response (seconds), set before it starts
    assertThat(System.getProperty("sun.net.httpserver.maxReqTime")).isEqualTo(String.valueOf(ProgressServer.MAX_REQUEST_SECONDS));
    assertThat(System.getProperty("sun.net.httpserver.maxRspTime")).isEqualTo(String.valueOf(ProgressServer.MAX_RESPONSE_SECONDS));
  }
}
