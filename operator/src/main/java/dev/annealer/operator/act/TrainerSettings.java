package dev.annealer.operator.act;

/**
 * Operator-wide settings of the trainer pods (from {@code annealer.trainer.*} configuration).
 *
 * @param defaultImage image when {@code spec.template.image} is absent
 * @param progressPort port of the trainer's progress channel ({@code ANNEALER_PROGRESS_PORT})
 * @param runAsUser    numeric UID of the trainer (restricted Pod Security needs a verifiable non-root user)
 * @param fsGroup      GID that owns the mounted checkpoint volume, so the non-root trainer can write it
 * @param defaultGraceSeconds terminationGracePeriodSeconds when the spec has none
 */
public record TrainerSettings(String defaultImage, int progressPort, long runAsUser, long fsGroup, long defaultGraceSeconds) {

    public static final TrainerSettings DEFAULT = new TrainerSettings("ghcr.io/annealer/annealer-trainer:0.1.0", 8080,
            1000, 1000, 120);
}
