package dev.annealer.operator.act;

/**
 * Operator-wide settings of the trainer pods (from {@code annealer.trainer.*} configuration).
 *
 * @param cpuImage     image of jobs with {@code resources.gpus} 0 and no {@code spec.template.image} (CPU libtorch)
 * @param gpuImage     image of jobs with {@code resources.gpus} &gt; 0 and no {@code spec.template.image} (the CUDA flavour)
 * @param progressPort port of the trainer's progress channel ({@code ANNEALER_PROGRESS_PORT})
 * @param runAsUser    numeric UID of the trainer (restricted Pod Security needs a verifiable non-root user)
 * @param fsGroup      GID that owns the mounted checkpoint volume, so the non-root trainer can write it
 * @param defaultGraceSeconds terminationGracePeriodSeconds when the spec has none
 * @param djlCacheDir  {@code DJL_CACHE_DIR}: the image's baked native-library cache (read-only root filesystem)
 */
public record TrainerSettings(String cpuImage, String gpuImage, int progressPort, long runAsUser, long fsGroup,
        long defaultGraceSeconds, String djlCacheDir) {

    /** Test and fallback settings; the names are those of images.properties (ImageNamesTest checks them). */
    public static final TrainerSettings DEFAULT = new TrainerSettings("localhost/annealer/annealer-trainer:0.1.0",
            "localhost/annealer/annealer-trainer:0.1.0-cu124", 8080, 10001, 10001, 120, "/opt/annealer/djl-cache");

    /**
     * The image of a job's trainer pod: the job's own {@code spec.template.image} when it names one, else the CUDA
     * flavour for a job that asks for GPUs ({@code resources.gpus > 0}) and the CPU image otherwise.
     *
     * @param jobImage the job's {@code spec.template.image}, null or blank when absent
     * @param gpus     the job's {@code resources.gpus} (null = 0)
     */
    public String imageFor(String jobImage, Integer gpus) {
        if (jobImage != null && !jobImage.isBlank()) {
            return jobImage;
        }
        return gpus != null && gpus > 0 ? gpuImage : cpuImage;
    }
}
