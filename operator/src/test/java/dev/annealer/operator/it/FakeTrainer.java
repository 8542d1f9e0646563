package dev.annealer.operator.it;

import com.sun.net.httpserver.HttpServer;
import dev.annealer.operator.progress.ProgressClient;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake trainer progress endpoint on 127.0.0.1 (the pods the tests drive report podIP 127.0.0.1). It answers
 * like the real trainer: 401 without the right bearer token, else the configured JSON signed with the token.
 */
public class FakeTrainer implements QuarkusTestResourceLifecycleManager {

    static volatile String token;
    static volatile String body = "{}";
    static final AtomicInteger POLLS = new AtomicInteger();
    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/v1/progress", ex -> {
            POLLS.incrementAndGet();
            String t = token;
            if (t == null || !("Bearer " + t).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.sendResponseHeaders(401, -1);
                ex.close();
                return;
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add(ProgressClient.SIGNATURE_HEADER, ProgressClient.sign(b, t));
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        return Map.of("annealer.trainer.progress-port", Integer.toString(server.getAddress().getPort()));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
