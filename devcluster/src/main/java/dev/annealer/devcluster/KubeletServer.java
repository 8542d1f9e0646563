package dev.annealer.devcluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The part of the kubelet's HTTPS API that {@code kubectl logs} needs: {@code GET /containerLogs/{namespace}/{pod}/
 * {container}} with {@code follow}, {@code tailLines}, {@code previous} and {@code limitBytes} (kube-apiserver
 * forwards {@code kubectl logs} there, to the node's address and {@code status.daemonEndpoints.kubeletEndpoint.port}).
 * {@code timestamps}, {@code sinceSeconds} and {@code sinceTime} are ignored: the node agent keeps no per-line times.
 *
 * <p>Served by the JDK's own HTTP server ({@code jdk.httpserver}) on 127.0.0.1 with a self-signed certificate made by
 * the JDK's {@code keytool}: kube-apiserver without {@code --kubelet-certificate-authority} does not verify kubelet
 * certificates (as in a kubeadm cluster), and it presents no client certificate here, so requests are not
 * authenticated: the endpoint is reachable from this machine only.
 */
public final class KubeletServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KubeletServer.class.getName());
    private static final String PREFIX = "/containerLogs/";
    private static final Duration FOLLOW_POLL = Duration.ofMillis(200);

    private final Path certDir;
    private final ContainerLogs.Source logs;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "kubelet-server");
        t.setDaemon(true);
        return t;
    });
    private HttpsServer server;

    /**
     * @param certDir where the serving key store is written ({@code kubelet-serving.p12})
     * @param logs    finds a container's output
     */
    public KubeletServer(Path certDir, ContainerLogs.Source logs) {
        this.certDir = certDir;
        this.logs = logs;
    }

    /** Binds a free port on 127.0.0.1 and starts serving. */
    public KubeletServer start() throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(sslContext()));
        server.createContext(PREFIX, this::handle);
        server.createContext("/healthz", ex -> respond(ex, 200, "ok"));
        server.setExecutor(threads);
        server.start();
        LOG.info(() -> "kubelet log endpoint on https://127.0.0.1:" + port() + PREFIX);
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        threads.shutdownNow();
    }

    // --- the request -------------------------------------------------------------------------------------------

    /** The query of a log request, parsed. */
    record Query(boolean follow, boolean previous, Integer tailLines, Long limitBytes) {
        static Query parse(String rawQuery) {
            Map<String, String> q = new LinkedHashMap<>();
            if (rawQuery != null) {
                for (String kv : rawQuery.split("&")) {
                    if (kv.isEmpty()) {
                        continue;
                    }
                    int eq = kv.indexOf('=');
                    q.put(decode(eq < 0 ? kv : kv.substring(0, eq)), eq < 0 ? "" : decode(kv.substring(eq + 1)));
                }
            }
            return new Query(bool(q, "follow"), bool(q, "previous"), intOrNull(q, "tailLines"),
                    longOrNull(q, "limitBytes"));
        }

        private static boolean bool(Map<String, String> q, String key) {
            String v = q.get(key);
            return v != null && (v.isEmpty() || v.equalsIgnoreCase("true") || v.equals("1"));
        }

        private static Integer intOrNull(Map<String, String> q, String key) {
            Long v = longOrNull(q, key);
            return v == null ? null : (int) Math.min(Integer.MAX_VALUE, v);
        }

        private static Long longOrNull(Map<String, String> q, String key) {
            String v = q.get(key);
            if (v == null || v.isEmpty()) {
                return null;
            }
            try {
                long n = Long.parseLong(v);
                if (n < 0) {
                    throw new IllegalArgumentException(key + "=" + v + " must not be negative");
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + "=" + v + " is not a whole number");
            }
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                respond(ex, 405, "only GET is served here");
                return;
            }
            List<String> parts = List.of(ex.getRequestURI().getRawPath().substring(PREFIX.length()).split("/"));
            if (parts.size() != 3 || parts.stream().anyMatch(String::isEmpty)) {
                respond(ex, 400, "expected " + PREFIX + "{namespace}/{pod}/{container}, got " + ex.getRequestURI().getPath());
                return;
            }
            Query query;
            try {
                query = Query.parse(ex.getRequestURI().getRawQuery());
            } catch (IllegalArgumentException e) {
                respond(ex, 400, e.getMessage());
                return;
            }
            ContainerLogs.Lookup found = logs.find(decode(parts.get(0)), decode(parts.get(1)), decode(parts.get(2)),
                    query.previous());
            if (found.range() == null) {
                respond(ex, found.status(), found.message());
                return;
            }
            stream(ex, found.range(), query);
        } catch (IOException e) {
            // why: the client (kube-apiserver) went away, e.g. Ctrl-C on kubectl logs -f
            LOG.fine(() -> "log stream ended: " + e);
        }
    }

    private static void stream(HttpExchange ex, ContainerLogs.Range range, Query query) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        FileChannel ch;
        try {
            ch = FileChannel.open(range.file(), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            ex.sendResponseHeaders(200, -1); // why: the container has not written anything yet
            return;
        }
        try (ch) {
            long end = range.end() >= 0 ? range.end() : ch.size();
            long pos = query.tailLines() == null ? range.start()
                    : ContainerLogs.tailStart(ch, range.start(), end, query.tailLines());
            long budget = query.limitBytes() == null ? Long.MAX_VALUE : query.limitBytes();
            ex.sendResponseHeaders(200, 0); // chunked
            OutputStream out = ex.getResponseBody();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (true) {
                boolean growing = range.end() < 0 && range.growing().getAsBoolean();
                long limit = range.end() >= 0 ? range.end() : ch.size();
                while (pos < limit && budget > 0) {
                    buf.clear().limit((int) Math.min(buf.capacity(), Math.min(limit - pos, budget)));
                    int n = ch.read(buf, pos);
                    if (n <= 0) {
                        break;
                    }
                    out.write(buf.array(), 0, n);
                    pos += n;
                    budget -= n;
                }
                out.flush();
                // why: "growing" was read before the last copy: once it is false, everything the run wrote is sent
                if (!query.follow() || !growing || budget <= 0) {
                    return;
                }
                try {
                    Thread.sleep(FOLLOW_POLL.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void respond(HttpExchange ex, int status, String message) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    // --- the serving certificate -------------------------------------------------------------------------------

    /** A new self-signed EC key and certificate for 127.0.0.1 (JDK keytool), in {@code certDir}. */
    private SSLContext sslContext() throws IOException {
        Files.createDirectories(certDir);
        Path store = certDir.resolve("kubelet-serving.p12");
        Files.deleteIfExists(store);
        byte[] pw = new byte[16];
        new SecureRandom().nextBytes(pw);
        String password = HexFormat.of().formatHex(pw);
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-noprompt", "-alias", "kubelet",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=devcluster-node-agent",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "3650", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", password, "-keypass", password)
                .redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool could not make the kubelet serving certificate: " + output.strip());
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, password.toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password.toCharArray());
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), null, null);
            return ssl;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the kubelet serving certificate", e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot load the kubelet serving certificate " + store + ": " + e.getMessage(), e);
        }
    }
}
