package dev.annealer.devcluster;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What makes Kueue's webhooks reachable on loopback: the certificate the rotator keeps, and the configuration. */
class KueueTest {

    @Test
    void theServingCertificateIsValidForTheServiceNameAndLoopbackAndSignedByTheCa() throws Exception {
        Kueue.Certificates c = Kueue.Certificates.create("kueue-webhook-service.kueue-system.svc");
        CertificateFactory f = CertificateFactory.getInstance("X.509");
        X509Certificate ca = (X509Certificate) f.generateCertificate(new ByteArrayInputStream(c.caCert().getBytes(StandardCharsets.US_ASCII)));
        X509Certificate server = (X509Certificate) f.generateCertificate(new ByteArrayInputStream(c.serverCert().getBytes(StandardCharsets.US_ASCII)));
        server.verify(ca.getPublicKey());
        ca.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).as("a CA").isGreaterThanOrEqualTo(0);
        assertThat(ca.getSubjectAlternativeNames()).contains(List.of(2, "kueue-ca"));
        assertThat(server.getSubjectAlternativeNames())
                .contains(List.of(2, "kueue-webhook-service.kueue-system.svc"), List.of(7, "127.0.0.1"));
        // the rotator keeps certificates valid for more than its 90-day look-ahead, and reads PKCS#1 RSA keys
        assertThat(server.getNotAfter().toInstant()).isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(365)));
        assertThat(c.caKey()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(c.serverKey()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    }

    @Test
    void theConfigurationDeclaresFineTuneJobAnExternalFrameworkAndListensOnLoopback() {
        String cfg = new Kueue(Path.of("/nonexistent"), null, Path.of("/tmp/w"), Path.of("/tmp/l")).configuration();
        assertThat(cfg).contains("apiVersion: config.kueue.x-k8s.io/v1beta2", "externalFrameworks: [\"FineTuneJob.v1alpha1.annealer.dev\"]",
                "managedJobsNamespaceSelector:", "host: 127.0.0.1", "healthProbeBindAddress: 127.0.0.1:",
                "VisibilityOnDemand: false", "enable: true")
                .doesNotContain("podOptions");
    }
}
