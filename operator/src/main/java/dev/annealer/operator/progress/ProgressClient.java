package dev.annealer.operator.progress;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Pulls a trainer's progress: {@code GET http://<podIP>:<port>/v1/progress} with {@code Authorization: Bearer
 * <token>}, and accepts the body only when {@code X-Annealer-Signature: sha256=<hex HMAC-SHA256(body, token)>}
 * matches (constant-time compare). Any failure (network, status, signature, JSON) yields empty plus a reason, never
 * an exception: progress is best effort and must not break a reconcile.
 *
 * <p>The trainer image is the user's, so the endpoint is untrusted: the body is capped at {@link #MAX_BODY_BYTES}
 * (a Content-Length above it is refused before reading, a longer chunked body is cut there) and the whole exchange,
 * body included, must finish within the timeout or it is abandoned and its connection closed.
 */
public class ProgressClient {

    public static final String SIGNATURE_HEADER = "X-Annealer-Signature";
    /** A report is well under 1 KiB; 64 KiB leaves room for new fields and nothing for abuse. */
    public static final int MAX_BODY_BYTES = 64 << 10;
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final HttpClient http;
    private final Duration timeout;

    public ProgressClient(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** A fetched report, or why there is none. */
    public record Result(Optional<ProgressReport> report, String problem) {
        static Result ok(ProgressReport r) {
            return new Result(Optional.of(r), null);
        }

        static Result problem(String p) {
            return new Result(Optional.empty(), p);
        }
    }

    public Result fetch(String host, int port, String token) {
        String authority = host.contains(":") ? "[" + host + "]" : host; // IPv6 pod IPs
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + authority + ":" + port + "/v1/progress"))
                .timeout(timeout).header("Authorization", "Bearer " + token).GET().build();
        HttpResponse<byte[]> resp;
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> exchange =
                http.sendAsync(req, CappedBody.handler(MAX_BODY_BYTES));
        try {
            // the request timeout only covers the headers: a body dripping a byte a second would pin us forever
            resp = exchange.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            exchange.cancel(true); // aborts the exchange and closes its connection
            return Result.problem("progress channel did not finish within " + timeout);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof CappedBody.TooLarge) {
                return Result.problem("progress report rejected: " + cause.getMessage());
            }
            return Result.problem("progress channel unreachable: " + cause);
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            return Result.problem("interrupted");
        }
        if (resp.statusCode() != 200) {
            return Result.problem("progress channel answered HTTP " + resp.statusCode());
        }
        String sig = resp.headers().firstValue(SIGNATURE_HEADER).orElse(null);
        if (!verify(resp.body(), token, sig)) {
            return Result.problem("progress report rejected: missing or wrong " + SIGNATURE_HEADER);
        }
        try {
            return Result.ok(JSON.readValue(resp.body(), ProgressReport.class));
        } catch (IOException e) {
            return Result.problem("progress report is not valid JSON: " + e.getMessage());
        }
    }

    /** {@code sha256=<lowercase hex HMAC-SHA256(body, token)>}. */
    public static String sign(byte[] body, String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    public static boolean verify(byte[] body, String token, String header) {
        if (header == null || token == null) {
            return false;
        }
        byte[] expected = sign(body, token).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, header.strip().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    }
}
