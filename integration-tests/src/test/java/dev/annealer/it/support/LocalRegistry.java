package dev.annealer.it.support;

import dev.annealer.devcluster.CommandResult;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CNCF distribution registry (built from the Go module proxy by hack/registry.sh into
 * ~/.cache/annealer/registry), started with {@code hack/registry.sh serve DIR PORT}: plain HTTP on 127.0.0.1 only,
 * storage in a temporary folder. Missing binary: skipped, or a failure with CI=true.
 */
public final class LocalRegistry implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;

    private LocalRegistry(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static LocalRegistry start(Path storage) throws IOException, InterruptedException {
        Path script = RepoFiles.root().resolve("hack/registry.sh");
        CommandResult check = CommandResult.run(List.of("bash", script.toString(), "--check"), Duration.ofSeconds(30));
        if (check.exitCode() != 0) {
            RepoFiles.missing("no registry binary: build it with `make registry` (hack/registry.sh)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = storage.resolve("registry.log");
        Files.createDirectories(storage);
        Process p = new ProcessBuilder("bash", script.toString(), "serve", storage.toString(), Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        LocalRegistry r = new LocalRegistry(p, port, log);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the registry exited with " + p.exitValue() + ": " + Files.readString(log));
            }
            try {
                HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(r.url() + "/v2/")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (resp.statusCode() == 200) {
                    return r;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        r.close();
        throw new IllegalStateException("the registry did not answer /v2/ on 127.0.0.1:" + port + " within 60 s: "
                + Files.readString(log));
    }

    /** {@code 127.0.0.1:<port>}, as OCI references name it. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public String url() {
        return "http://" + host();
    }

    /** GET {@code path} on the registry's API (e.g. {@code /v2/_catalog}). */
    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        // the script exec's the registry: this process is the registry itself
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
