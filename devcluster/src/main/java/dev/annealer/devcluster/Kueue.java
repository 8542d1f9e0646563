package dev.annealer.devcluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceConversionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
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
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real Kueue manager (built by {@code hack/kueue.sh}) as a host process against a {@link ControlPlane}, with its
 * CRDs and its admission webhooks reachable on loopback.
 *
 * <p>How the webhooks work without a Service: Kueue's own certificate management (the cert-controller rotator) keeps
 * a serving certificate in Secret {@code kueue-system/kueue-webhook-server-cert} and injects its CA into the
 * webhook configurations and the CRDs' conversion webhooks. The rotator keeps a certificate that is valid for
 * {@code kueue-webhook-service.kueue-system.svc}; we put one there first that is valid for that name <em>and</em> for
 * IP 127.0.0.1, so the configurations can point at {@code url: https://127.0.0.1:<port>/<path>}. Only Kueue's own
 * webhooks (its {@code kueue.x-k8s.io} types) are registered: no built-in job integration intercepts pods or Jobs.
 * {@code FineTuneJob.v1alpha1.annealer.dev} is configured as an external framework (the operator owns the Workload).
 */
public final class Kueue implements AutoCloseable {

    public static final String NAMESPACE = "kueue-system";
    public static final String EXTERNAL_FRAMEWORK = "FineTuneJob.v1alpha1.annealer.dev";
    static final String SERVICE = "kueue-webhook-service";
    static final String SECRET = "kueue-webhook-server-cert";
    /** The CRDs whose conversion webhook the rotator injects its CA into (Kueue's pkg/util/cert). */
    static final Set<String> CONVERTED_CRDS = Set.of("localqueues.kueue.x-k8s.io", "clusterqueues.kueue.x-k8s.io",
            "workloads.kueue.x-k8s.io", "cohorts.kueue.x-k8s.io", "multikueueclusters.kueue.x-k8s.io");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Path kueueDir;
    private final ControlPlane cp;
    private final Path workDir;
    private final Path logDir;
    private Process process;
    private int webhookPort;
    private int healthPort;

    /**
     * @param kueueDir the folder {@code hack/kueue.sh} prints (kueue, crds/, webhook/manifests.yaml)
     * @param workDir  state (configuration, serving certificate folder)
     * @param logDir   where {@code kueue.log} goes
     */
    public Kueue(Path kueueDir, ControlPlane cp, Path workDir, Path logDir) {
        this.kueueDir = kueueDir;
        this.cp = cp;
        this.workDir = workDir;
        this.logDir = logDir;
    }

    /** The folder of a built Kueue, through {@code hack/kueue.sh --check} (never builds), or empty. */
    public static Optional<Path> locate(Path repoRoot) {
        try {
            Process p = new ProcessBuilder("bash", repoRoot.resolve("hack/kueue.sh").toString(), "--check")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
                return Optional.empty();
            }
            Path dir = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
            return Files.isExecutable(dir.resolve("kueue")) ? Optional.of(dir) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Installs the CRDs, certificate and webhook configurations, starts the manager and waits until it is ready. */
    public Kueue start() {
        try {
            Files.createDirectories(workDir);
            Files.createDirectories(logDir);
            Files.createDirectories(workDir.resolve("webhook-certs"));
            webhookPort = freePort();
            healthPort = freePort();
            KubernetesClient c = cp.adminClient();
            Certificates certs = Certificates.create(SERVICE + "." + NAMESPACE + ".svc");
            String caBundle = Base64.getEncoder().encodeToString(certs.caCert().getBytes(StandardCharsets.US_ASCII));
            installCrds(c, caBundle);
            c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                    .createOr(r -> r.update());
            c.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata().withName(SECRET)
                    .withNamespace(NAMESPACE).endMetadata()
                    .addToStringData("ca.crt", certs.caCert()).addToStringData("ca.key", certs.caKey())
                    .addToStringData("tls.crt", certs.serverCert()).addToStringData("tls.key", certs.serverKey())
                    .build()).createOr(r -> r.update());
            installWebhooks(c, caBundle);
            // what the kubelet does in a cluster: the Secret's files in the cert dir (the rotator waits for them)
            Path certDir = workDir.resolve("webhook-certs");
            Files.writeString(certDir.resolve("ca.crt"), certs.caCert());
            Files.writeString(certDir.resolve("tls.crt"), certs.serverCert());
            Files.writeString(certDir.resolve("tls.key"), certs.serverKey());
            Path config = workDir.resolve("kueue-config.yaml");
            Files.writeString(config, configuration());
            List<String> cmd = List.of(kueueDir.resolve("kueue").toString(), "--config=" + config, "--zap-log-level=2");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("kueue.log").toFile()));
            pb.environment().put("KUBECONFIG", cp.kubeconfig().toString());
            process = pb.start();
            waitReady();
            return this;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Kueue's Configuration (config.kueue.x-k8s.io/v1beta2) for a host process on loopback. */
    String configuration() {
        return """
                apiVersion: config.kueue.x-k8s.io/v1beta2
                kind: Configuration
                namespace: %s
                health:
                  healthProbeBindAddress: 127.0.0.1:%d
                metrics:
                  bindAddress: "0"
                webhook:
                  host: 127.0.0.1
                  port: %d
                  certDir: %s
                leaderElection:
                  leaderElect: false
                internalCertManagement:
                  enable: true
                  webhookServiceName: %s
                  webhookSecretName: %s
                manageJobsWithoutQueueName: false
                managedJobsNamespaceSelector:
                  matchExpressions:
                  - key: kubernetes.io/metadata.name
                    operator: NotIn
                    values: [kube-system, %s]
                integrations:
                  frameworks: ["batch/job"]
                  externalFrameworks: ["%s"]
                featureGates:
                  VisibilityOnDemand: false
                """.formatted(NAMESPACE, healthPort, webhookPort, workDir.resolve("webhook-certs"), SERVICE, SECRET,
                NAMESPACE, EXTERNAL_FRAMEWORK);
    }

    private void installCrds(KubernetesClient c, String caBundle) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(kueueDir.resolve("crds"))) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        List<String> names = new ArrayList<>();
        for (Path f : files) {
            CustomResourceDefinition crd;
            try (InputStream in = Files.newInputStream(f)) {
                crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
            }
            if (CONVERTED_CRDS.contains(crd.getMetadata().getName())) {
                crd.getSpec().setConversion(new CustomResourceConversionBuilder().withStrategy("Webhook")
                        .withNewWebhook().withConversionReviewVersions("v1").withNewClientConfig()
                        .withUrl(url("/convert")).withCaBundle(caBundle).endClientConfig().endWebhook().build());
            }
            c.resource(crd).forceConflicts().serverSideApply();
            names.add(crd.getMetadata().getName());
        }
        for (String n : names) {
            c.apiextensions().v1().customResourceDefinitions().withName(n).waitUntilCondition(crd ->
                    crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
                            && crd.getStatus().getConditions().stream()
                            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                    60, TimeUnit.SECONDS);
        }
    }

    /** Kueue's own webhooks from its manifests, renamed as the rotator expects, pointing at our loopback port. */
    @SuppressWarnings("unchecked")
    private void installWebhooks(KubernetesClient c, String caBundle) throws IOException {
        List<HasMetadata> docs;
        try (InputStream in = Files.newInputStream(kueueDir.resolve("webhook/manifests.yaml"))) {
            docs = c.load(in).items();
        }
        for (HasMetadata doc : docs) {
            GenericKubernetesResource g = Serialization.jsonMapper().convertValue(doc, GenericKubernetesResource.class);
            String type = g.getKind().startsWith("Mutating") ? "mutating" : "validating";
            List<Map<String, Object>> kept = new ArrayList<>();
            for (Object o : (List<Object>) g.getAdditionalProperties().get("webhooks")) {
                Map<String, Object> w = new LinkedHashMap<>((Map<String, Object>) o);
                Map<String, Object> cc = (Map<String, Object>) w.get("clientConfig");
                String path = String.valueOf(((Map<String, Object>) cc.get("service")).get("path"));
                if (!path.contains("-kueue-x-k8s-io-")) {
                    continue; // a job integration's webhook: not enabled here
                }
                w.put("clientConfig", Map.of("url", url(path), "caBundle", caBundle));
                kept.add(w);
            }
            g.getAdditionalProperties().put("webhooks", kept);
            g.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                    .withName("kueue-" + type + "-webhook-configuration").build());
            c.resource(g).forceConflicts().serverSideApply();
        }
    }

    private String url(String path) {
        return "https://127.0.0.1:" + webhookPort + path;
    }

    private void waitReady() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("kueue exited with code " + process.exitValue() + " during start-up; see "
                        + logDir.resolve("kueue.log") + ":\n" + tail());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort
                        + "/readyz")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode() + ": " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("kueue not ready within " + START_TIMEOUT.toSeconds() + " s (last: " + last
                + "); see " + logDir.resolve("kueue.log") + ":\n" + tail());
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(logDir.resolve("kueue.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return e.toString();
        }
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A CA (valid for the rotator's CA name {@code kueue-ca}, key in PKCS#1 as the rotator reads it) and a serving
     * certificate signed by it for {@code dnsName} and 127.0.0.1; ten years, so the rotator's 90-day look-ahead keeps
     * them.
     */
    record Certificates(String caCert, String caKey, String serverCert, String serverKey) {

        static Certificates create(String dnsName) {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                KeyPair ca = g.generateKeyPair();
                KeyPair server = g.generateKeyPair();
                Instant now = Instant.now();
                Date from = Date.from(now.minus(Duration.ofHours(1)));
                Date to = Date.from(now.plus(Duration.ofDays(3650)));
                X500Name caName = new X500Name("CN=kueue-ca,O=kueue");
                JcaX509v3CertificateBuilder cab = new JcaX509v3CertificateBuilder(caName, serial(), from, to, caName,
                        ca.getPublic());
                cab.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                cab.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.digitalSignature
                        | KeyUsage.keyEncipherment));
                cab.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.dNSName, "kueue-ca")));
                X509CertificateHolder caHolder = cab.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.getPrivate()));
                JcaX509v3CertificateBuilder sb = new JcaX509v3CertificateBuilder(caName, serial(), from, to,
                        new X500Name("CN=" + dnsName), server.getPublic());
                sb.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                sb.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                sb.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
                sb.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, dnsName), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
                X509CertificateHolder serverHolder = sb.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.getPrivate()));
                return new Certificates(pem("CERTIFICATE", caHolder.getEncoded()), pkcs1(ca),
                        pem("CERTIFICATE", serverHolder.getEncoded()), pkcs1(server));
            } catch (Exception e) {
                throw new IllegalStateException("cannot create Kueue's webhook certificates: " + e, e);
            }
        }

        private static String pkcs1(KeyPair kp) throws IOException {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(kp.getPrivate().getEncoded());
            return pem("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded());
        }

        private static BigInteger serial() {
            return new BigInteger(64, new SecureRandom());
        }

        private static String pem(String type, byte[] der) {
            return "-----BEGIN " + type + "-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                    + "\n-----END " + type + "-----\n";
        }
    }
}
