package dev.annealer.api.v1alpha1;

/**
 * Machine-readable condition and event reasons (CamelCase). Tools branch on these, never on message text.
 * The trainer's termination reasons (contract: {@code failed: reason=<Reason> ...}) are included.
 */
public final class Reasons {
    // Accepted
    /** Accepted=True: the spec and its schedule are valid and fit the budget. */
    public static final String SPEC_VALID = "SpecValid";
    /** Accepted=False: a field is invalid (the message names it); also a trainer termination reason. */
    public static final String INVALID_SPEC = "InvalidSpec";
    /** Accepted=False: the schedule engine rejected spec.optimizer/spec.schedule. */
    public static final String INVALID_SCHEDULE = "InvalidSchedule";
    /** Accepted=False: warmup plus maxCycles cycles do not fit the training budget. */
    public static final String SCHEDULE_EXCEEDS_BUDGET = "ScheduleExceedsBudget";
    /** Accepted=True with a warning message: training ends far from the minimum learning rate. */
    public static final String ENDS_MID_CYCLE = "EndsMidCycle";

    // Running
    /** Running=False: the trainer pod of the attempt exists but is not running yet (scheduling, Kueue gate, pull). */
    public static final String POD_PENDING = "PodPending";
    /** Running=True: the trainer pod runs. */
    public static final String POD_RUNNING = "PodRunning";
    /** Running=False: waiting out the backoff after a failure. */
    public static final String BACKING_OFF = "BackingOff";
    /** Running=False: the job is suspended, finished or not accepted. */
    public static final String NOT_RUNNING = "NotRunning";
    /** Event / Running=False: the pod was preempted or evicted; a new attempt follows at once. */
    public static final String PREEMPTED = "Preempted";
    /**
     * Running=False: the job is queued through Kueue and its Workload is not admitted (yet, or again after an
     * eviction); the message carries Kueue's own reason. No pod exists meanwhile.
     */
    public static final String WAITING_FOR_ADMISSION = "WaitingForAdmission";
    /** Event: Kueue evicted the job's Workload (preemption, deactivation); the trainer is stopped gracefully. */
    public static final String EVICTED_BY_KUEUE = "EvictedByKueue";
    /** Event: a new attempt resumed from a checkpoint. */
    public static final String RESUMED = "Resumed";
    /** Event: an owned resource (pod, PVC, ConfigMap) was created. */
    public static final String CREATED = "Created";

    // CheckpointFitsGracePeriod
    /** CheckpointFitsGracePeriod=True: the estimated SIGTERM checkpoint write fits the grace period with margin. */
    public static final String CHECKPOINT_FITS = "CheckpointFits";
    /**
     * CheckpointFitsGracePeriod=False and Warning event: the estimated write exceeds the grace period with margin; the
     * message gives the terminationGracePeriodSeconds to set.
     */
    public static final String CHECKPOINT_EXCEEDS_GRACE_PERIOD = "CheckpointExceedsGracePeriod";

    // Suspended
    /** Suspended=True: spec.suspend is true. */
    public static final String SUSPEND_REQUESTED = "SuspendRequested";
    /** Suspended=False. */
    public static final String NOT_SUSPENDED = "NotSuspended";

    // Succeeded
    /** Succeeded=True: the trainer finished the budget. */
    public static final String TRAINING_COMPLETED = "TrainingCompleted";
    /** Event: an lrRangeTest job finished; the message names the suggested learning rate and the plot. */
    public static final String LR_RANGE_TEST_COMPLETED = "LrRangeTestCompleted";
    /** Succeeded=False / Failed=False: not finished yet. */
    public static final String NOT_FINISHED = "NotFinished";

    // Failed
    /** Failed=True: more than failurePolicy.maxFailures failures. */
    public static final String MAX_FAILURES_EXCEEDED = "MaxFailuresExceeded";
    /** Failed=True: more than failurePolicy.maxPreemptions preemptions. */
    public static final String MAX_PREEMPTIONS_EXCEEDED = "MaxPreemptionsExceeded";
    /**
     * Running=False: the API server refused to create the trainer pod (quota, Pod Security, an invalid pod); the
     * message is the API server's. Retried; not a failure.
     */
    public static final String POD_CREATE_REJECTED = "PodCreateRejected";
    /**
     * Condition {@code ProgressStalled} and a Warning event: several preemptions in a row without status.step moving
     * (e.g. the SIGTERM checkpoint does not fit in the grace period); the next attempt waits a backoff.
     */
    public static final String PREEMPTED_WITHOUT_PROGRESS = "PreemptedWithoutProgress";

    // Ready / Reconciling / Stalled (kstatus); their other reasons repeat the reason of the condition that decided
    /** Reconciling=False: the current generation is acted on (trainer running, suspended or finished). */
    public static final String RECONCILED = "Reconciled";
    /** Stalled=False. */
    public static final String NOT_STALLED = "NotStalled";
    /** Reconciling=True: the operator is deleting the pod of a suspended job (the trainer checkpoints on SIGTERM). */
    public static final String SUSPENDING = "Suspending";
    /** Event: the job became Suspended (no trainer pod runs; its checkpoints are kept). */
    public static final String SUSPENDED = "Suspended";
    /** Reconciling=True / Ready=False: the job is being deleted; its trainer checkpoints on SIGTERM first. */
    public static final String DELETING = "Deleting";

    // Trainer termination reasons (failed: reason=...)
    public static final String BAD_RECORD = "BadRecord";
    public static final String MISSING_FILE = "MissingFile";
    public static final String NON_FINITE_LOSS = "NonFiniteLoss";
    /** A NaN or infinite gradient with a finite loss; the update was not applied. */
    public static final String NON_FINITE_GRADIENT = "NonFiniteGradient";
    public static final String SCHEDULE_CHANGED = "ScheduleChanged";
    /**
     * The checkpoint's data cursor (seed, batch size, accumulation, shuffle, records, data file digest) differs from
     * what the spec and data give now, and spec.checkpoint.onScheduleChange is Refuse.
     */
    public static final String DATA_ORDER_CHANGED = "DataOrderChanged";
    public static final String CORRUPT_CHECKPOINT = "CorruptCheckpoint";
    public static final String CRASH = "Crash";
    /** The job asked for GPUs (spec.resources.gpus > 0) and the trainer saw fewer usable ones. */
    public static final String NO_GPU = "NoGPU";
    // Failure classes the operator observes
    public static final String OOM_KILLED = "OOMKilled";
    public static final String IMAGE_PULL_FAILED = "ImagePullFailed";
    public static final String CONTAINER_CONFIG_ERROR = "ContainerConfigError";

    private Reasons() {
    }
}
