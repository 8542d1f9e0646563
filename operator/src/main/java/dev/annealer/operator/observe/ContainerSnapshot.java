package dev.annealer.operator.observe;

import java.time.Instant;

/**
 * The trainer container's state: exactly one of waiting, running or terminated is set
 * (or none when the kubelet has not reported it yet).
 */
public record ContainerSnapshot(Waiting waiting, Running running, Terminated terminated) {

    public static ContainerSnapshot waiting(String reason, String message) {
        return new ContainerSnapshot(new Waiting(reason, message), null, null);
    }

    public static ContainerSnapshot running(Instant startedAt) {
        return new ContainerSnapshot(null, new Running(startedAt), null);
    }

    public static ContainerSnapshot terminated(int exitCode, String reason, String message, Instant finishedAt) {
        return new ContainerSnapshot(null, null, new Terminated(exitCode, reason, message, finishedAt));
    }

    /** {@code state.waiting}: e.g. ContainerCreating, ErrImagePull, ImagePullBackOff, CreateContainerConfigError. */
    public record Waiting(String reason, String message) {
    }

    /** {@code state.running}. */
    public record Running(Instant startedAt) {
    }

    /**
     * {@code state.terminated}; {@code message} is the trainer's termination message (one line, at most 4 KiB).
     */
    public record Terminated(int exitCode, String reason, String message, Instant finishedAt) {
    }
}
