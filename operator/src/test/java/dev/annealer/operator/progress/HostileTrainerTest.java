package dev.annealer.operator.progress;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trainer image is the user's choice, so its progress endpoint is untrusted: a 100 MB body or a body that drips
 * one byte per second must cost the operator neither memory nor a thread for longer than the fetch timeout.
 * Local fake trainers on 127.0.0.1; each handler stops on its own (client gone, or a fixed bound).
 */
class HostileTrainerTest {

    static final long HUNDRED_MB = 100L << 20;

    HttpServer server;
    final AtomicLong served = new AtomicLong();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "hostile-trainer");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private int serve(String path, com.sun.net.httpserver.HttpHandler h) {
        server.createContext(path, h);
        return server.getAddress().getPort();
    }

    /** Writes {@code total} bytes of '{' (lengthKnown: with Content-Length; else chunked) until the client goes away. */
    private int huge(boolean lengthKnown) {
        return serve("/v1/progress", ex -> {
            ex.sendResponseHeaders(200, lengthKnown ? HUNDRED_MB : 0);
            byte[] chunk = new byte[64 << 10];
            java.util.Arrays.fill(chunk, (byte) '{');
            try (OutputStream out = ex.getResponseBody()) {
                for (long n = 0; n < HUNDRED_MB; n += chunk.length) {
                    out.write(chunk);
                    served.addAndGet(chunk.length);
                }
            } catch (IOException gone) {
                // the client hung up: what we want
            }
        });
    }

    @Test
    void aHundredMegabyteBodyWithContentLengthIsRefusedUnread() {
        ProgressClient.Result r = new ProgressClient(Duration.ofSeconds(5)).fetch("127.0.0.1", huge(true), "t");
        assertThat(r.report()).isEmpty();
        assertThat(r.problem()).contains("larger than " + ProgressClient.MAX_BODY_BYTES + " bytes");
        assertThat(served.get()).as("bytes the fake trainer got out").isLessThan(HUNDRED_MB);
    }

    @Test
    void aHundredMegabyteChunkedBodyIsCutAtTheCap() {
        ProgressClient.Result r = new ProgressClient(Duration.ofSeconds(5)).fetch("127.0.0.1", huge(false), "t");
        assertThat(r.report()).isEmpty();
        assertThat(r.problem()).contains("larger than " + ProgressClient.MAX_BODY_BYTES + " bytes");
        assertThat(served.get()).isLessThan(HUNDRED_MB);
    }

    @Test
    void aBodyDrippingOneBytePerSecondIsAbandonedAtTheTimeout() {
        int port = serve("/v1/progress", ex -> {
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 60; i++) { // bounded: stops after a minute even if nobody hangs up
                    out.write('{');
                    out.flush();
                    Thread.sleep(1000);
                }
            } catch (IOException | InterruptedException gone) {
                // the client hung up
            }
        });
        long t0 = System.nanoTime();
        ProgressClient.Result r = new ProgressClient(Duration.ofSeconds(1)).fetch("127.0.0.1", port, "t");
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(r.report()).isEmpty();
        assertThat(r.problem()).contains("did not finish within PT1S");
        // headers arrive at once, so a per-request timeout alone would wait the whole minute: the bound is the exchange
        assertThat(took).isLessThan(Duration.ofSeconds(20));
    }
}
