package dev.annealer.api.v1alpha1;

import java.util.List;

/** The condition types of a FineTuneJob; all of them are always present in status.conditions. */
public final class ConditionTypes {
    /** The spec passed admission: CEL, the schedule engine's validation and the budget checks. */
    public static final String ACCEPTED = "Accepted";
    /** A trainer pod of the current attempt is running. */
    public static final String RUNNING = "Running";
    /** spec.suspend is true and no trainer pod runs. */
    public static final String SUSPENDED = "Suspended";
    /** Training finished; terminal. */
    public static final String SUCCEEDED = "Succeeded";
    /** The job gave up; terminal. */
    public static final String FAILED = "Failed";

    /**
     * kstatus: True while the trainer runs and after success (what {@code kubectl wait --for=condition=Ready} waits
     * for); False with the blocking reason otherwise.
     */
    public static final String READY = "Ready";
    /**
     * kstatus: True while the operator is still acting on the current generation: pod being created or scheduled,
     * admission (e.g. a Kueue gate), backoff, a preempted attempt being replaced, a suspend in progress.
     */
    public static final String RECONCILING = "Reconciling";
    /** kstatus: True when no progress is possible without a change: Failed, a rejected spec. */
    public static final String STALLED = "Stalled";
    /**
     * Whether the trainer's measured checkpoint write fits the pod's terminationGracePeriodSeconds with margin (so a
     * SIGTERM checkpoint completes). Present once the trainer reported a checkpoint write; not in {@link #ALL}.
     */
    public static final String CHECKPOINT_FITS_GRACE_PERIOD = "CheckpointFitsGracePeriod";

    /** All types, in the order the operator writes them. */
    public static final List<String> ALL = List.of(ACCEPTED, RUNNING, SUSPENDED, SUCCEEDED, FAILED, READY, RECONCILING,
            STALLED);

    private ConditionTypes() {
    }
}
