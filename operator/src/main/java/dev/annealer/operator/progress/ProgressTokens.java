package dev.annealer.operator.progress;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Each job's progress token, derived from one operator key: {@code base64url(HMAC-SHA256(key, "annealer.dev/progress/v1:"
 * + job UID))}. The operator computes the token of any job it reconciles from the key alone, so it never reads the
 * Secret {@code <job>-progress} it writes into the job's namespace (it needs {@code create} there, nothing else); the
 * key lives in the operator's own namespace ({@link ProgressKeyStore}), loaded on first use.
 *
 * <p>Also remembers which jobs' Secrets this process has created (or found existing: a 409), so a job's Secret is
 * created once per operator process instead of being observed through a cluster-wide Secret watch.
 */
public final class ProgressTokens {

    static final String CONTEXT = "annealer.dev/progress/v1:";

    private final Supplier<byte[]> keySource;
    private volatile byte[] key;
    private final Set<String> secretsEnsured = ConcurrentHashMap.newKeySet();

    public ProgressTokens(Supplier<byte[]> keySource) {
        this.keySource = Objects.requireNonNull(keySource);
    }

    /** With a fixed key (tests). */
    public static ProgressTokens ofKey(byte[] key) {
        return new ProgressTokens(() -> key.clone());
    }

    /** The bearer token (and HMAC key of the trainer's signed reports) of the job with this UID. */
    public String tokenFor(String jobUid) {
        if (jobUid == null || jobUid.isBlank()) {
            throw new IllegalArgumentException("a job without metadata.uid has no progress token");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key(), "HmacSHA256"));
            byte[] out = mac.doFinal((CONTEXT + jobUid).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Whether this process has created (or found) the progress Secret of the job with this UID. */
    public boolean secretEnsured(String jobUid) {
        return jobUid != null && secretsEnsured.contains(jobUid);
    }

    public void markSecretEnsured(String jobUid) {
        if (jobUid != null) {
            secretsEnsured.add(jobUid);
        }
    }

    private byte[] key() {
        byte[] k = key;
        if (k == null) {
            synchronized (this) {
                if (key == null) {
                    byte[] loaded = keySource.get();
                    if (loaded == null || loaded.length < 32) {
                        throw new IllegalStateException("the progress key must be at least 32 bytes, got "
                                + (loaded == null ? "none" : loaded.length));
                    }
                    key = loaded;
                }
                k = key;
            }
        }
        return k;
    }
}
