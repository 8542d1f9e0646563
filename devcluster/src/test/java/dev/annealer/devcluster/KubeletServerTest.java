package dev.annealer.devcluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node agent's kubelet log endpoint over real HTTPS: what kube-apiserver asks for on {@code kubectl logs} (the
 * current or previous run, {@code tailLines}, {@code limitBytes}, {@code follow}) and its errors.
 */
class KubeletServerTest {

    @TempDir
    Path dir;
    private KubeletServer server;
    private final AtomicBoolean running = new AtomicBoolean(true);

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** ns/p/main: a previous run "old 1..2" (bytes [0, 12)) and the current run "line 1..5" after it. */
    private Path start() throws Exception {
        Path log = dir.resolve("output.log");
        Files.writeString(log, "old 1\nold 2\nline 1\nline 2\nline 3\nline 4\nline 5\n");
        server = new KubeletServer(dir.resolve("certs"), (ns, pod, container, previous) -> {
            if (!ns.equals("ns") || !pod.equals("p")) {
                return ContainerLogs.Lookup.notFound("pod " + ns + "/" + pod + " is not running on this node");
            }
            if (!container.equals("main")) {
                return ContainerLogs.Lookup.badRequest("container " + container + " is not valid for pod p");
            }
            return ContainerLogs.Lookup.found(previous ? new ContainerLogs.Range(log, 0, 12, () -> false)
                    : new ContainerLogs.Range(log, 12, -1, running::get));
        }).start();
        return log;
    }

    @Test
    void servesTheCurrentRunItsTailAndThePreviousRun() throws Exception {
        start();
        running.set(false);
        assertThat(get("/containerLogs/ns/p/main")).isEqualTo("200 line 1\nline 2\nline 3\nline 4\nline 5\n");
        assertThat(get("/containerLogs/ns/p/main?tailLines=2")).isEqualTo("200 line 4\nline 5\n");
        assertThat(get("/containerLogs/ns/p/main?tailLines=0")).isEqualTo("200 ");
        assertThat(get("/containerLogs/ns/p/main?tailLines=99")).startsWith("200 line 1\n");
        assertThat(get("/containerLogs/ns/p/main?limitBytes=9")).isEqualTo("200 line 1\nli");
        assertThat(get("/containerLogs/ns/p/main?previous=true")).isEqualTo("200 old 1\nold 2\n");
        assertThat(get("/containerLogs/ns/p/main?previous=true&tailLines=1")).isEqualTo("200 old 2\n");
    }

    @Test
    void unknownPodsContainersAndBadQueriesAreClearErrors() throws Exception {
        start();
        assertThat(get("/containerLogs/ns/other/main")).isEqualTo("404 pod ns/other is not running on this node\n");
        assertThat(get("/containerLogs/ns/p/sidecar")).isEqualTo("400 container sidecar is not valid for pod p\n");
        assertThat(get("/containerLogs/ns/p/main?tailLines=x")).isEqualTo("400 tailLines=x is not a whole number\n");
        assertThat(get("/containerLogs/ns/p")).startsWith("400 expected /containerLogs/{namespace}/{pod}/{container}");
    }

    @Test
    void followStreamsNewOutputUntilTheContainerExits() throws Exception {
        Path log = start();
        HttpResponse<InputStream> r = client().send(request("/containerLogs/ns/p/main?follow=true&tailLines=1"),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        CompletableFuture<String> body = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = r.body()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(500);
        assertThat(body).as("still following while the container runs").isNotDone();
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.APPEND)) {
            ch.write(StandardCharsets.UTF_8.encode("line 6\n"));
        }
        Thread.sleep(500);
        running.set(false);
        assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo("line 5\nline 6\n");
    }

    private String get(String path) throws Exception {
        HttpResponse<String> r = client().send(request(path), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(20)).build();
    }

    /** Like kube-apiserver without --kubelet-certificate-authority: the self-signed certificate is not verified. */
    private static HttpClient client() throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
    }
}
