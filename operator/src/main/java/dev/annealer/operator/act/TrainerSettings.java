package dev.annealer.operator.act;

/**
 * Operator-wide settings of the trainer pods (from {@code annealer.trainer.*} configuration).
 *
 * @param defaultImage image when {@code spec.template.image} is absent
 * @param progressPort port of the trainer's progress channel ({@code ANNEALER_PROGRESS_PORT})
 * @param runAsUser    numeric UID of the trainer (restricted Pod Security needs a verifiable non-root user)
 * @param fsGroup      GID that owns the mounted checkpoint volume, so the non-root trainer can write it
 * @param defaultGraceSeconds terminationGracePeriodSeconds when the spec has none
 * @param djlCacheDir  {@code DJL_CACHE_DIR}: the image's baked native-library cache (read-only root filesystem)
 */
public record TrainerSettings(String defaultImage, int progressPort, long runAsUser, long fsGroup, long defaultGraceSeconds,
        String djlCacheDir) {

    public static final TrainerSettings DEFAULT = new TrainerSettings("ghcr.io/annealer/annealer-trainer:0.1.0", 8080,
            10001, 10001, 120, "/opt/annealer/djl-cache");
}
