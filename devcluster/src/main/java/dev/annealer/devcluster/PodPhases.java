package dev.annealer.devcluster;

import java.util.Collection;

/** Pure decisions about a pod's phase and its containers' termination reasons (what the kubelet reports). */
public final class PodPhases {

    private PodPhases() {
    }

    /** A container's exit as the agent saw it. */
    public record Exit(int exitCode) {
    }

    /**
     * Phase of a {@code restartPolicy: Never} pod from its containers: Running while any runs; Succeeded when all
     * exited 0; Failed when all exited and one did not exit 0.
     *
     * @param exits one entry per container, null while it runs
     */
    public static String phase(Collection<Exit> exits) {
        boolean anyRunning = exits.stream().anyMatch(e -> e == null);
        if (anyRunning) {
            return "Running";
        }
        return exits.stream().allMatch(e -> e.exitCode() == 0) ? "Succeeded" : "Failed";
    }

    /** The kubelet's reason for a terminated container: Completed for 0, Error otherwise. */
    public static String reason(int exitCode) {
        return exitCode == 0 ? "Completed" : "Error";
    }

    /** Whether a container should be started again after {@code exitCode} under {@code restartPolicy}. */
    public static boolean restarts(String restartPolicy, int exitCode) {
        return "Always".equals(restartPolicy) || ("OnFailure".equals(restartPolicy) && exitCode != 0);
    }
}
