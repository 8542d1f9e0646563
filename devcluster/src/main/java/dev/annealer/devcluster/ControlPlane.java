package dev.annealer.devcluster;

import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real etcd + kube-apiserver on free loopback ports, with RBAC authorization on; optionally kube-scheduler and
 * kube-controller-manager too (the devcluster).
 *
 * <p>Authentication is a static token file: {@link #ADMIN_USER} is in {@code system:masters} (all rights, bypasses
 * RBAC), {@link #NOBODY_USER} is only authenticated (RBAC refuses it everything but discovery). ServiceAccount
 * tokens work too ({@link #serviceAccountClient}), since the server gets a signing key. The serving certificate is
 * the one kube-apiserver generates in its {@code --cert-dir}; clients trust exactly that certificate.
 *
 * <p>Lifecycle: {@link #start()} blocks until {@code /readyz} answers 200; {@link #close()} stops kube-apiserver
 * then etcd (SIGTERM, 10 s grace, SIGKILL) and deletes the data directory. A JVM shutdown hook does the same if
 * the JVM exits without closing. Logs go to {@code <logDir>/<component>.log}.
 */
public final class ControlPlane implements AutoCloseable {

    public static final String ADMIN_USER = "annealer-it-admin";
    public static final String NOBODY_USER = "annealer-it-nobody";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Path binDir;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final Path logDir;
    private final boolean fullCluster;
    private final List<String> extraApiServerFlags;
    private final String adminToken = randomToken();
    private final String nobodyToken = randomToken();
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::stopProcesses, "control-plane-shutdown");
    private int apiPort;
    private KubernetesClient adminClient;
    private List<String> apiServerCommand;
    private Process apiServer;
    private List<String> etcdCommand;
    private Process etcd;

    /**
     * API server + etcd only (what API-server tests need), in a temporary directory deleted on close.
     *
     * @param binDir folder with etcd, kube-apiserver, kubectl
     * @param logDir where the component logs go (kept after close, for failure analysis)
     * @param extraApiServerFlags appended to the kube-apiserver command line (later flags win)
     */
    public ControlPlane(Path binDir, Path logDir, List<String> extraApiServerFlags) {
        this(binDir, null, logDir, false, extraApiServerFlags);
    }

    /**
     * @param workDir state directory (etcd data, certificates, kubeconfig); null = a temporary one deleted on close
     * @param fullCluster also start kube-scheduler and kube-controller-manager, and keep the ServiceAccount
     *                    admission plugin on (the controller manager creates the default ServiceAccounts)
     */
    public ControlPlane(Path binDir, Path workDir, Path logDir, boolean fullCluster, List<String> extraApiServerFlags) {
        this.binDir = binDir;
        this.logDir = logDir;
        this.fullCluster = fullCluster;
        this.extraApiServerFlags = List.copyOf(extraApiServerFlags);
        try {
            this.ownsWorkDir = workDir == null;
            this.workDir = workDir == null ? Files.createTempDirectory("annealer-controlplane-")
                    : Files.createDirectories(workDir);
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts etcd and kube-apiserver and waits until the API server is ready. */
    public ControlPlane start() {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            int etcdClient = freePort();
            int etcdPeer = freePort();
            apiPort = freePort();
            Path etcdData = Files.createDirectories(workDir.resolve("etcd"));
            etcdCommand = List.of(binDir.resolve("etcd").toString(),
                    "--data-dir=" + etcdData,
                    "--listen-client-urls=http://127.0.0.1:" + etcdClient,
                    "--advertise-client-urls=http://127.0.0.1:" + etcdClient,
                    "--listen-peer-urls=http://127.0.0.1:" + etcdPeer,
                    "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeer,
                    "--initial-cluster=default=http://127.0.0.1:" + etcdPeer,
                    // why: test data is thrown away; fsync only slows a shared 2-core machine
                    "--unsafe-no-fsync=true",
                    "--log-level=warn");
            etcd = spawn("etcd", etcdCommand);

            Path certDir = Files.createDirectories(workDir.resolve("certs"));
            Path tokens = workDir.resolve("tokens.csv");
            Files.writeString(tokens, adminToken + "," + ADMIN_USER + ",uid-admin,\"system:masters\"\n"
                    + nobodyToken + "," + NOBODY_USER + ",uid-nobody\n");
            Path saKey = workDir.resolve("sa.key");
            Path saPub = workDir.resolve("sa.pub");
            writeServiceAccountKeys(saKey, saPub);

            List<String> cmd = new ArrayList<>(List.of(binDir.resolve("kube-apiserver").toString(),
                    "--etcd-servers=http://127.0.0.1:" + etcdClient,
                    "--bind-address=127.0.0.1",
                    "--advertise-address=127.0.0.1",
                    "--secure-port=" + apiPort,
                    "--cert-dir=" + certDir,
                    "--token-auth-file=" + tokens,
                    "--authorization-mode=RBAC",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    "--service-account-key-file=" + saPub,
                    "--service-account-signing-key-file=" + saKey,
                    "--service-cluster-ip-range=10.0.0.0/24",
                    "--allow-privileged=true",
                    // why: the endpoint reconciler refuses a loopback advertise address; nothing routes to it anyway
                    "--endpoint-reconciler-type=none",
                    // why: `kubectl logs` reaches a node's kubelet by address; devcluster node names do not resolve,
                    // their InternalIP (127.0.0.1) does
                    "--kubelet-preferred-address-types=InternalIP,Hostname"));
            if (!fullCluster) {
                // why: without kube-controller-manager no "default" ServiceAccount is ever created
                cmd.add("--disable-admission-plugins=ServiceAccount");
            }
            cmd.addAll(extraApiServerFlags);
            apiServerCommand = List.copyOf(cmd);
            apiServer = spawn("kube-apiserver", cmd);
            waitReady(certDir.resolve("apiserver.crt"));
            adminClient = clientWithToken(adminToken);
            writeKubeconfig();
            if (fullCluster) {
                String kc = "--kubeconfig=" + kubeconfig();
                String authn = "--authentication-kubeconfig=" + kubeconfig();
                String authz = "--authorization-kubeconfig=" + kubeconfig();
                spawn("kube-scheduler", List.of(binDir.resolve("kube-scheduler").toString(), kc, authn, authz,
                        "--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=" + freePort()));
                spawn("kube-controller-manager", List.of(binDir.resolve("kube-controller-manager").toString(), kc,
                        authn, authz, "--leader-elect=false", "--bind-address=127.0.0.1",
                        "--secure-port=" + freePort(),
                        "--service-account-private-key-file=" + saKey,
                        "--root-ca-file=" + certDir.resolve("apiserver.crt"),
                        "--cluster-name=devcluster",
                        "--use-service-account-credentials=false"));
            }
            return this;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** https://127.0.0.1:PORT */
    public String url() {
        return "https://127.0.0.1:" + apiPort;
    }

    /** A client with all rights (system:masters). Owned by this control plane: don't close it. */
    public KubernetesClient adminClient() {
        return adminClient;
    }

    /** A new client authenticated as a user without any RBAC binding. The caller closes it. */
    public KubernetesClient nobodyClient() {
        return clientWithToken(nobodyToken);
    }

    /**
     * A new client authenticated as ServiceAccount {@code namespace/name}, with a token obtained through the
     * TokenRequest API (as a pod would get). The ServiceAccount must exist. The caller closes the client.
     */
    public KubernetesClient serviceAccountClient(String namespace, String name) {
        TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build();
        TokenRequest granted = adminClient.serviceAccounts().inNamespace(namespace).withName(name).tokenRequest(request);
        return clientWithToken(granted.getStatus().getToken());
    }

    /** The state directory (certificates, kubeconfig, etcd data). */
    public Path workDir() {
        return workDir;
    }

    /** True while every started component process is alive. */
    public boolean healthy() {
        return !processes.isEmpty() && processes.stream().allMatch(Process::isAlive);
    }

    /** Path of an admin kubeconfig for kubectl and other tools. */
    public Path kubeconfig() {
        return workDir.resolve("admin.kubeconfig");
    }

    /** Runs kubectl with the admin kubeconfig; never throws for a non-zero exit. */
    public CommandResult kubectl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binDir.resolve("kubectl").toString());
        cmd.add("--kubeconfig=" + kubeconfig());
        cmd.addAll(List.of(args));
        return CommandResult.run(cmd, Duration.ofSeconds(60));
    }

    private KubernetesClient clientWithToken(String token) {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withOauthToken(token)
                .withCaCertFile(workDir.resolve("certs/apiserver.crt").toString())
                .withRequestTimeout(30_000)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    private void writeKubeconfig() throws IOException {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: local
                  cluster:
                    server: %s
                    certificate-authority: %s
                users:
                - name: admin
                  user:
                    token: %s
                contexts:
                - name: local
                  context:
                    cluster: local
                    user: admin
                current-context: local
                """.formatted(url(), workDir.resolve("certs/apiserver.crt"), adminToken);
        Files.writeString(kubeconfig(), yaml);
    }

    private Process spawn(String name, List<String> cmd) throws IOException {
        return spawn(name, cmd, false);
    }

    private Process spawn(String name, List<String> cmd, boolean appendLog) throws IOException {
        if (!Files.isExecutable(Path.of(cmd.get(0)))) {
            throw new IllegalStateException(cmd.get(0) + " is missing: build it with hack/k8s-binaries.sh");
        }
        Path log = logDir.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(appendLog ? ProcessBuilder.Redirect.appendTo(log.toFile())
                        : ProcessBuilder.Redirect.to(log.toFile())).start();
        processes.add(p);
        return p;
    }

    /**
     * Fault injection: SIGKILLs kube-apiserver, keeps it down for {@code down}, then starts it again with the same
     * flags, port and certificates and waits until it is ready. etcd, the scheduler and the controller manager keep
     * running; clients (informers) see the outage and must recover on their own.
     */
    public synchronized void restartApiServer(Duration down) {
        if (apiServer == null) {
            throw new IllegalStateException("the control plane has not been started");
        }
        try {
            apiServer.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            processes.remove(apiServer);
            Thread.sleep(down.toMillis());
            // why: the old process may still hold the port for a moment after it died
            apiServer = spawn("kube-apiserver", apiServerCommand, true);
            // processes are stopped in reverse start order; keep the API server before the components that use it
            processes.remove(apiServer);
            processes.add(1, apiServer);
            waitReady(workDir.resolve("certs/apiserver.crt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while restarting kube-apiserver", e);
        }
    }

    /**
     * Fault injection: SIGKILLs etcd, keeps it down for {@code down}, then starts it again on the same data directory
     * and ports and waits until the API server answers ready again. The API server keeps running and fails requests
     * meanwhile; its clients must ride it out.
     */
    public synchronized void restartEtcd(Duration down) {
        if (etcd == null) {
            throw new IllegalStateException("the control plane has not been started");
        }
        try {
            etcd.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            processes.remove(etcd);
            Thread.sleep(down.toMillis());
            etcd = spawn("etcd", etcdCommand, true);
            // stopped last, as at start
            processes.remove(etcd);
            processes.add(0, etcd);
            waitReady(workDir.resolve("certs/apiserver.crt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while restarting etcd", e);
        }
    }

    private void waitReady(Path servingCert) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer yet";
        HttpClient http = null;
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a control-plane process exited with code " + p.exitValue()
                            + " during start-up; see " + logDir + "/etcd.log and kube-apiserver.log:\n" + tails());
                }
            }
            try {
                if (http == null && Files.isRegularFile(servingCert) && Files.size(servingCert) > 0) {
                    http = HttpClient.newBuilder().sslContext(trusting(servingCert))
                            .connectTimeout(Duration.ofSeconds(2)).build();
                }
                if (http != null) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/readyz"))
                            .header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return;
                    }
                    last = "HTTP " + r.statusCode() + ": " + r.body();
                }
            } catch (IOException | RuntimeException e) {
                last = e.toString();
                http = null; // why: the certificate may have been read while half-written
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for kube-apiserver", e);
            }
            sleep(250);
        }
        throw new IllegalStateException("kube-apiserver not ready within " + START_TIMEOUT.toSeconds() + " s (last: "
                + last + "); see " + logDir + ":\n" + tails());
    }

    private String tails() {
        StringBuilder sb = new StringBuilder();
        for (String name : List.of("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager")) {
            Path log = logDir.resolve(name + ".log");
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                sb.append("--- ").append(name).append(" (last lines)\n");
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
            } catch (IOException e) {
                // why: components not started have no log
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (adminClient != null) {
            adminClient.close();
            adminClient = null;
        }
        stopProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException ignored) {
            // why: already shutting down, or the hook was never registered
        }
        if (ownsWorkDir) {
            deleteRecursively(workDir);
        }
    }

    /** Stops in reverse start order: the API server first, so it doesn't log etcd errors while going down. */
    private synchronized void stopProcesses() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static SSLContext trusting(Path pemBundle) {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pemBundle)))) {
                ks.setCertificateEntry("c" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the serving certificate " + pemBundle + ": " + e, e);
        }
    }

    private static void writeServiceAccountKeys(Path key, Path pub) throws IOException {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            Files.writeString(key, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
            Files.writeString(pub, pem("PUBLIC KEY", kp.getPublic().getEncoded()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static String randomToken() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // why: best effort; a leftover temp dir is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
