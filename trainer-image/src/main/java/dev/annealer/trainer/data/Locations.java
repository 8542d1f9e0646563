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

  /** Whether a location is on a PVC, which the user can fix between attempts (a path in the image cannot be). */
  public static boolean onVolume(String location) {
    return location.startsWith("pvc://");
  }

  /**
   * A MissingFile for a location that is not on a volume (inside the image, or an absolute path on the node): a retry
   * would find the same image, so it is {@code MissingLocalFile}, which the operator does not retry.
   */
  public static dev.annealer.trainer.TrainerFailure notOnVolume(dev.annealer.trainer.TrainerFailure missing) {
    return new dev.annealer.trainer.TrainerFailure(dev.annealer.trainer.TrainerFailure.Reason.MissingLocalFile,
        missing.getMessage() + "; it is not on a PVC, so retrying cannot find it: use pvc://CLAIM/path for data on a "
            + "volume, or build it into the image");
  }

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
