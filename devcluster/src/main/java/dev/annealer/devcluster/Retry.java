package dev.annealer.devcluster;

import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.function.Supplier;

/**
 * Retries a read-modify-write when another writer changed the object in between, as kubelets do: 409 Conflict, or
 * 422 from a JSON Patch whose {@code test} of the old value failed (what fabric8's {@code edit} sends).
 */
final class Retry {

    private static final int ATTEMPTS = 8;

    private Retry() {
    }

    static <T> T onConflict(Supplier<T> write) {
        for (int i = 1; ; i++) {
            try {
                return write.get();
            } catch (KubernetesClientException e) {
                boolean changedMeanwhile = e.getCode() == 409 || (e.getCode() == 422 && e.getStatus() != null
                        && e.getStatus().getDetails() != null && e.getStatus().getDetails().getCauses().isEmpty());
                if (!changedMeanwhile || i >= ATTEMPTS) {
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
