package dev.annealer.trainer.data;

import java.nio.file.Path;
import java.util.Map;

/**
 * Resolves the data/model locations of a FineTuneJob inside the pod (see docs/reference/trainer-contract.md):
 * {@code pvc://CLAIM/path} → {@code $ANNEALER_PVC_ROOT/CLAIM/path} (default {@code /mnt/pvc}),
 * {@code file:///abs} → {@code /abs}, anything else → relative to the working directory.
 */
public final class Locations {
  private Locations() {}

  public static Path resolve(String location, Map<String, String> env) {
    if (location.startsWith("pvc://")) {
      String root = env.getOrDefault("ANNEALER_PVC_ROOT", "/mnt/pvc");
      return Path.of(root).resolve(location.substring("pvc://".length()));
    }
    if (location.startsWith("file://")) {
      return Path.of(location.substring("file://".length()));
    }
    return Path.of(location).toAbsolutePath();
  }
}
