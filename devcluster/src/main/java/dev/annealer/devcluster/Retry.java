package dev.annealer.devcluster;

import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.function.Supplier;

/** Retries a read-modify-write on 409 Conflict (another writer changed the object in between), as kubelets do. */
final class Retry {

    private static final int ATTEMPTS = 8;

    private Retry() {
    }

    static <T> T onConflict(Supplier<T> write) {
        for (int i = 1; ; i++) {
            try {
                return write.get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || i >= ATTEMPTS) {
                    throw e;
                }
                try {
                    Thread.sleep(20L * i);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
