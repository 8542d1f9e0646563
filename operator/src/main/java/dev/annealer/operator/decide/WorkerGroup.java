package dev.annealer.operator.decide;

import dev.annealer.operator.act.DesiredResources;
import dev.annealer.operator.observe.ContainerSnapshot;
import dev.annealer.operator.observe.PodSnapshot;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The workers of a job with {@code spec.workers: N > 1} as one gang, over the observed pods: rank 0 is pod
 * {@code <job>-<attempt>} (the pod the rest of {@link Decider} already follows), ranks 1..N-1 are pods
 * {@code <job>-<attempt>-w<rank>}. Pure: the pods, the attempt, and the clock.
 *
 * <p>The gang rules:
 * <ul>
 *   <li><b>Forming</b>: rank 0 is created first; ranks 1..N-1 are created as soon as rank 0 has a pod IP (their
 *       {@code MASTER_ADDR}), see {@link #toCreate}. The attempt counts as running only when all N trainers run
 *       ({@link #allRunning}); until then it is pending.</li>
 *   <li><b>Formed</b> (the job's Running condition is True: all N were seen running): a worker pod that is missing
 *       is gone, never re-created within the attempt (a new rank cannot join a running group).</li>
 *   <li><b>Ending</b> ({@link #ending}): the first worker that ends ends the whole attempt, and exactly one ending is
 *       counted. When several ended by the time the operator looks, a preemption (or suspension) wins over a failure
 *       (a peer's failed collective is a consequence of the preempted worker, not a failure of its own), and rank 0's
 *       success is the job's success. A rank >= 1 that exited 0 has finished its part and waits for rank 0.</li>
 *   <li><b>Stopping</b> ({@link #unfinished}): after the ending every other pod of the attempt (and any left over from
 *       an earlier one) is deleted with its grace period (SIGTERM: the workers agree on a step, rank 0 writes the
 *       checkpoint, they exit 75), and the next attempt is created only when none is left running, so it resumes
 *       from that checkpoint.</li>
 * </ul>
 *
 * @param job      the job's name
 * @param workers  {@code spec.workers}
 * @param attempt  {@code status.attempt}
 * @param rank0    the current attempt's rank-0 pod, if observed
 * @param others   every other pod of the job (ranks >= 1 of the current attempt, pods of earlier attempts)
 */
public record WorkerGroup(String job, int workers, int attempt, Optional<PodSnapshot> rank0, List<PodSnapshot> others) {

    public WorkerGroup {
        others = List.copyOf(others);
    }

    /** The ending of the attempt and the pod it came from. */
    public record Ending(PodEnding ending, int rank, String podName) {
    }

    /** Pod of rank {@code rank} of the current attempt. */
    public String podName(int rank) {
        return DesiredResources.workerPodName(job, attempt, rank);
    }

    /** The observed pods of ranks 1..N-1 of the current attempt, by rank. */
    public TreeMap<Integer, PodSnapshot> members() {
        TreeMap<Integer, PodSnapshot> m = new TreeMap<>();
        for (int r = 1; r < workers; r++) {
            String n = podName(r);
            int rank = r;
            others.stream().filter(p -> p.name().equals(n)).findFirst().ifPresent(p -> m.put(rank, p));
        }
        return m;
    }

    /** Ranks >= 1 of the current attempt without a pod. */
    public List<Integer> missing() {
        TreeMap<Integer, PodSnapshot> m = members();
        List<Integer> missing = new ArrayList<>();
        for (int r = 1; r < workers; r++) {
            if (!m.containsKey(r)) {
                missing.add(r);
            }
        }
        return missing;
    }

    /** Where ranks >= 1 find the rendezvous: rank 0's pod IP, once it has one and is not being deleted. */
    public Optional<String> masterAddr() {
        return rank0.filter(p -> !p.isDeleting() && !terminal(p)).map(PodSnapshot::podIp).filter(ip -> !ip.isBlank());
    }

    /**
     * The worker pods to create now: while the group is forming (not {@code formed}), every missing rank once
     * rank 0 has an address; none once it is formed (a missing worker is then gone, see {@link #ending}).
     */
    public List<Action.CreateWorkerPod> toCreate(boolean formed) {
        if (formed || masterAddr().isEmpty()) {
            return List.of();
        }
        String addr = masterAddr().get();
        return missing().stream().map(r -> new Action.CreateWorkerPod(attempt, r, addr)).toList();
    }

    /** How many of the N trainers run (rank 0 included). */
    public int running() {
        int n = rank0.filter(WorkerGroup::trainerRunning).isPresent() ? 1 : 0;
        return n + (int) members().values().stream().filter(WorkerGroup::trainerRunning).count();
    }

    public boolean allRunning() {
        return running() == workers;
    }

    /**
     * The attempt's ending, if it has one: rank 0's ending ({@code rank0Ending}, classified by the caller as for a
     * single pod) combined with the endings of ranks 1..N-1 (see the class comment for the order).
     *
     * @param formed whether all N were seen running (a missing worker pod is then gone, else not created yet)
     */
    public Optional<Ending> ending(Optional<PodEnding> rank0Ending, boolean formed, boolean suspend, Instant now,
            PodEndingClassifier.Settings settings) {
        List<Ending> endings = new ArrayList<>();
        rank0Ending.ifPresent(e -> endings.add(new Ending(e, 0, podName(0))));
        TreeMap<Integer, PodSnapshot> m = members();
        for (int r = 1; r < workers; r++) {
            PodSnapshot p = m.get(r);
            if (p == null && !formed) {
                continue; // not created yet
            }
            if (p != null && p.trainer().map(ContainerSnapshot::terminated).map(t -> t.exitCode() == 0).orElse(false)) {
                continue; // this rank finished its part; rank 0 reports the job's result
            }
            int rank = r;
            PodEndingClassifier.classify(p, podName(r), suspend, now, settings)
                    .ifPresent(e -> endings.add(new Ending(e, rank, podName(rank))));
        }
        Optional<Ending> success = endings.stream().filter(e -> e.rank() == 0 && e.ending().kind() == PodEnding.Kind.SUCCESS)
                .findFirst();
        if (success.isPresent()) {
            return success;
        }
        return endings.stream().min(Comparator.comparingInt(WorkerGroup::precedence).thenComparingInt(Ending::rank));
    }

    private static int precedence(Ending e) {
        return switch (e.ending().kind()) {
            case PREEMPTION, SUSPENDED -> 0;
            case FAILURE -> 1;
            case SUCCESS -> 2; // a rank >= 1 never reports the job's success
        };
    }

    /**
     * Pods of this attempt (rank 0 included) and of earlier attempts that still run or terminate: the next attempt
     * waits until this is empty. Pods of a later attempt (none can exist) are left alone.
     */
    public List<PodSnapshot> unfinished() {
        List<PodSnapshot> u = new ArrayList<>();
        rank0.filter(p -> !terminal(p)).ifPresent(u::add);
        others.stream().filter(p -> p.attempt() <= attempt && !terminal(p)).forEach(u::add);
        return u;
    }

    /** Delete (with their grace period) the unfinished pods nobody is deleting yet. */
    public List<Action> stopUnfinished(long defaultGraceSeconds) {
        return unfinished().stream().filter(p -> !p.isDeleting())
                .<Action>map(p -> new Action.DeletePod(p.name(), p.graceSeconds() == null ? defaultGraceSeconds
                        : p.graceSeconds()))
                .toList();
    }

    static boolean terminal(PodSnapshot p) {
        return "Succeeded".equals(p.phase()) || "Failed".equals(p.phase());
    }

    static boolean trainerRunning(PodSnapshot p) {
        return "Running".equals(p.phase()) && !p.isDeleting() && p.trainer().map(c -> c.running() != null).orElse(false);
    }
}
