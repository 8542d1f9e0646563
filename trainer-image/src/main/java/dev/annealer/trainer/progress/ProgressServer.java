package dev.annealer.trainer.progress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pull channel of the pod contract: {@code GET /v1/progress} (Bearer token, body signed with
 * {@code X-Annealer-Signature: sha256=HEX(HMAC-SHA256(body, token))}) and {@code GET /metrics} (Prometheus, no auth).
 * The trainer needs no Kubernetes API rights: the operator polls it.
 */
public final class ProgressServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Handler threads: the JDK server reads a request on one, so a single slow client would stall a single thread. */
  static final int THREADS = 4;
  /** Seconds a client may take to send its request, and the server to write a response, before it is cut off. */
  static final long MAX_REQUEST_SECONDS = 10;
  static final long MAX_RESPONSE_SECONDS = 30;

  static {
    // the JDK HttpServer's only read/write timeouts; read once, when the first server of the JVM starts (in the
    // trainer: this one). An operator-set value (-D) wins.
    setIfAbsent("sun.net.httpserver.maxReqTime", MAX_REQUEST_SECONDS);
    setIfAbsent("sun.net.httpserver.maxRspTime", MAX_RESPONSE_SECONDS);
  }

  private static void setIfAbsent(String key, long seconds) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, Long.toString(seconds));
    }
  }
  private final HttpServer server;

  private ProgressServer(HttpServer server) {
    this.server = server;
  }

  /**
   * @param token the shared secret; when null or empty {@code /v1/progress} answers 401 to everyone
   */
  public static ProgressServer start(String host, int port, String token, Supplier<ProgressReport> report,
      PrometheusMeterRegistry registry) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
    server.setExecutor(Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "progress-http");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/v1/progress", ex -> {
      try (ex) {
        if (!"GET".equals(ex.getRequestMethod())) {
          send(ex, 405, "text/plain", "GET only\n".getBytes(StandardCharsets.UTF_8), null);
          return;
        }
        if (!authorized(ex.getRequestHeaders().getFirst("Authorization"), token)) {
          ex.getResponseHeaders().add("WWW-Authenticate", "Bearer");
          send(ex, 401, "text/plain", "missing or wrong bearer token\n".getBytes(StandardCharsets.UTF_8), null);
          return;
        }
        ProgressReport current = report.get();
        if (current == null) {
          send(ex, 503, "text/plain", "starting: no progress yet\n".getBytes(StandardCharsets.UTF_8), null);
          return;
        }
        byte[] body = JSON.writeValueAsBytes(current.toMap());
        send(ex, 200, "application/json", body, "sha256=" + hmacHex(body, token));
      }
    });
    server.createContext("/metrics", ex -> {
      try (ex) {
        send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape().getBytes(StandardCharsets.UTF_8), null);
      }
    });
    server.start();
    return new ProgressServer(server);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  static boolean authorized(String header, String token) {
    if (token == null || token.isEmpty() || header == null || !header.startsWith("Bearer ")) {
      return false;
    }
    // constant time: the token is a secret
    return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8),
        token.getBytes(StandardCharsets.UTF_8));
  }

  /** Hex HMAC-SHA256 of {@code body} keyed with the UTF-8 bytes of {@code token}. */
  public static String hmacHex(byte[] body, String token) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body, String signature) throws IOException {
    ex.getResponseHeaders().add("Content-Type", type);
    if (signature != null) {
      ex.getResponseHeaders().add("X-Annealer-Signature", signature);
    }
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
