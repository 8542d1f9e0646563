package dev.annealer.operator.observe;

import dev.annealer.operator.progress.ProgressReport;

import java.util.Optional;

/**
 * Everything {@code decide()} may know about the world besides the job itself. Built by {@link Observer},
 * never written to.
 *
 * @param pod               the pod of the job's current attempt ({@code <job>-<status.attempt>}), empty when absent
 *                          (confirmed against the API server, not only the informer cache)
 * @param specConfigMapVersion the {@code annealer.dev/spec-version} annotation ({@code <uid>/<generation>}) of
 *                          ConfigMap {@code <job>-spec}, empty when the ConfigMap is missing
 * @param pvcExists         whether PVC {@code <job>-checkpoints} exists
 * @param pvcOwnedByJob     whether that PVC still carries the job's owner reference
 * @param secretExists      whether this operator process has created (or found) Secret {@code <job>-progress}
 *                          (Secrets in job namespaces are never read or watched)
 * @param progress          the latest verified progress report of the running trainer, if one was fetched
 * @param kueue             whether the job is queued through Kueue (label {@code kueue.x-k8s.io/queue-name} and
 *                          Kueue's Workload API served by the cluster); see {@code KueueAdmission}
 * @param workload          the job's Kueue Workload, empty when it does not exist (or the job is not queued)
 * @param otherPods         with {@code spec.workers > 1} only (else empty): every other trainer pod the job controls
 *                          (ranks 1.. of the current attempt, and any pod of an earlier attempt), from the informer
 *                          cache; see {@code WorkerGroup}
 */
public record Observation(
        Optional<PodSnapshot> pod,
        Optional<String> specConfigMapVersion,
        boolean pvcExists,
        boolean pvcOwnedByJob,
        boolean secretExists,
        Optional<ProgressReport> progress,
        boolean kueue,
        Optional<WorkloadSnapshot> workload,
        java.util.List<PodSnapshot> otherPods) {

    public Observation {
        otherPods = otherPods == null ? java.util.List.of() : java.util.List.copyOf(otherPods);
    }

    public Observation(Optional<PodSnapshot> pod, Optional<String> specConfigMapVersion, boolean pvcExists,
            boolean pvcOwnedByJob, boolean secretExists, Optional<ProgressReport> progress, boolean kueue,
            Optional<WorkloadSnapshot> workload) {
        this(pod, specConfigMapVersion, pvcExists, pvcOwnedByJob, secretExists, progress, kueue, workload,
                java.util.List.of());
    }

    /** Without Kueue. */
    public Observation(Optional<PodSnapshot> pod, Optional<String> specConfigMapVersion, boolean pvcExists,
            boolean pvcOwnedByJob, boolean secretExists, Optional<ProgressReport> progress) {
        this(pod, specConfigMapVersion, pvcExists, pvcOwnedByJob, secretExists, progress, false, Optional.empty());
    }

    /** Nothing exists yet. */
    public static Observation empty() {
        return new Observation(Optional.empty(), Optional.empty(), false, false, false, Optional.empty());
    }

    public Observation withPod(PodSnapshot p) {
        return new Observation(Optional.ofNullable(p), specConfigMapVersion, pvcExists, pvcOwnedByJob, secretExists, progress, kueue, workload, otherPods);
    }

    public Observation withOwnedResources(String configMapVersion, boolean pvc, boolean pvcOwned, boolean secret) {
        return new Observation(pod, Optional.ofNullable(configMapVersion), pvc, pvcOwned, secret, progress, kueue, workload, otherPods);
    }

    public Observation withProgress(ProgressReport r) {
        return new Observation(pod, specConfigMapVersion, pvcExists, pvcOwnedByJob, secretExists, Optional.ofNullable(r), kueue,
                workload, otherPods);
    }

    /** Queued through Kueue, with the job's Workload if it exists. */
    public Observation withKueue(Optional<WorkloadSnapshot> w) {
        return new Observation(pod, specConfigMapVersion, pvcExists, pvcOwnedByJob, secretExists, progress, true, w, otherPods);
    }

    /** The job's other trainer pods (a job with {@code spec.workers > 1}). */
    public Observation withOtherPods(java.util.List<PodSnapshot> pods) {
        return new Observation(pod, specConfigMapVersion, pvcExists, pvcOwnedByJob, secretExists, progress, kueue, workload,
                pods);
    }
}
