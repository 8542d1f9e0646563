package dev.annealer.api.v1alpha1;

import java.util.Optional;

/**
 * The values in effect for fields the user left out. The API server applies a CRD {@code default} only inside an
 * object that is present ({@code spec.failurePolicy.maxFailures} defaults to 3 only if {@code spec.failurePolicy}
 * exists), and local manifests (trainer, CLI) get no defaults at all, so code reads optional fields through these
 * helpers. Each constant equals the {@code @Default} of its field (checked by a test).
 */
public final class Defaults {

    public static final boolean SUSPEND = false;
    public static final int BATCH_SIZE = 32;
    public static final int GRADIENT_ACCUMULATION = 1;
    public static final long SEED = 0;
    public static final int KEEP_LAST = 3;
    public static final boolean KEEP_CYCLE_SNAPSHOTS = false;
    public static final long EVERY_SECONDS_WITHOUT_EVERY_STEPS = 600;
    public static final String STORAGE_SIZE = "1Gi";
    public static final int GPUS = 0;
    public static final long TERMINATION_GRACE_PERIOD_SECONDS = 120;
    public static final int MAX_FAILURES = 3;
    /** -1: unlimited. */
    public static final int MAX_PREEMPTIONS = -1;
    public static final long BACKOFF_INITIAL_SECONDS = 10;
    public static final long BACKOFF_MAX_SECONDS = 300;

    private Defaults() {
    }

    public static boolean suspend(FineTuneJobSpec s) {
        return s.getSuspend() != null ? s.getSuspend() : SUSPEND;
    }

    public static int batchSize(FineTuneJobSpec s) {
        return training(s).map(TrainingSpec::getBatchSize).orElse(BATCH_SIZE);
    }

    public static int gradientAccumulation(FineTuneJobSpec s) {
        return training(s).map(TrainingSpec::getGradientAccumulation).orElse(GRADIENT_ACCUMULATION);
    }

    public static long seed(FineTuneJobSpec s) {
        return training(s).map(TrainingSpec::getSeed).orElse(SEED);
    }

    public static TrainingMode mode(FineTuneJobSpec s) {
        return training(s).map(TrainingSpec::getMode).orElse(TrainingMode.TRAIN);
    }

    public static DataFormat dataFormat(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getData()).map(DataSpec::getFormat).orElse(DataFormat.CSV);
    }

    public static TaskType task(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getData()).map(DataSpec::getTask).orElse(TaskType.REGRESSION);
    }

    public static OnBadRecord onBadRecord(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getData()).map(DataSpec::getOnBadRecord).orElse(OnBadRecord.FAIL);
    }

    public static int keepLast(FineTuneJobSpec s) {
        return checkpoint(s).map(CheckpointSpec::getKeepLast).orElse(KEEP_LAST);
    }

    public static boolean keepCycleSnapshots(FineTuneJobSpec s) {
        return checkpoint(s).map(CheckpointSpec::getKeepCycleSnapshots).orElse(KEEP_CYCLE_SNAPSHOTS);
    }

    /** Checkpoint every N steps, or empty for "by time only". */
    public static Optional<Long> everySteps(FineTuneJobSpec s) {
        return checkpoint(s).map(CheckpointSpec::getEverySteps);
    }

    /** Checkpoint after N seconds: the spec's value, else 600 when everySteps is unset, else empty (steps only). */
    public static Optional<Long> everySeconds(FineTuneJobSpec s) {
        Optional<Long> v = checkpoint(s).map(CheckpointSpec::getEverySeconds);
        if (v.isPresent()) {
            return v;
        }
        return everySteps(s).isPresent() ? Optional.empty() : Optional.of(EVERY_SECONDS_WITHOUT_EVERY_STEPS);
    }

    public static ReclaimPolicy reclaimPolicy(FineTuneJobSpec s) {
        return checkpoint(s).map(CheckpointSpec::getReclaimPolicy).orElse(ReclaimPolicy.RETAIN);
    }

    public static OnScheduleChange onScheduleChange(FineTuneJobSpec s) {
        return checkpoint(s).map(CheckpointSpec::getOnScheduleChange).orElse(OnScheduleChange.REFUSE);
    }

    /** The checkpoint PVC size as a Kubernetes quantity string. */
    public static String storageSize(FineTuneJobSpec s) {
        return checkpoint(s).map(CheckpointSpec::getStorage).map(StorageSpec::getSize).map(Object::toString)
                .orElse(STORAGE_SIZE);
    }

    public static int gpus(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getResources()).map(ResourcesSpec::getGpus).orElse(GPUS);
    }

    public static long terminationGracePeriodSeconds(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getTemplate()).map(TemplateSpec::getTerminationGracePeriodSeconds)
                .orElse(TERMINATION_GRACE_PERIOD_SECONDS);
    }

    public static int maxFailures(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getFailurePolicy()).map(FailurePolicySpec::getMaxFailures).orElse(MAX_FAILURES);
    }

    /** -1 = unlimited. */
    public static int maxPreemptions(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getFailurePolicy()).map(FailurePolicySpec::getMaxPreemptions).orElse(MAX_PREEMPTIONS);
    }

    public static long backoffInitialSeconds(FineTuneJobSpec s) {
        return backoff(s).map(BackoffSpec::getInitialSeconds).orElse(BACKOFF_INITIAL_SECONDS);
    }

    public static long backoffMaxSeconds(FineTuneJobSpec s) {
        return backoff(s).map(BackoffSpec::getMaxSeconds).orElse(BACKOFF_MAX_SECONDS);
    }

    private static Optional<TrainingSpec> training(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getTraining());
    }

    private static Optional<CheckpointSpec> checkpoint(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getCheckpoint());
    }

    private static Optional<BackoffSpec> backoff(FineTuneJobSpec s) {
        return Optional.ofNullable(s.getFailurePolicy()).map(FailurePolicySpec::getBackoff);
    }
}
