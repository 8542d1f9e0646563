package dev.annealer.operator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** {@code annealer.*} settings of the operator (application.properties, env vars, Helm values). */
@ConfigMapping(prefix = "annealer")
public interface OperatorConfig {

    /** Trainer pod settings. */
    Trainer trainer();

    /** Progress channel settings. */
    Progress progress();

    /** How long a pod may wait on its image (ErrImagePull/ImagePullBackOff) before the attempt counts as failed. */
    @WithDefault("5m")
    Duration imagePullGrace();

    /** How long a pod may sit in CreateContainerConfigError before the attempt counts as failed. */
    @WithDefault("2m")
    Duration configErrorGrace();

    /** Server-side apply for owned resources and status (production). Tests against the mock server turn it off. */
    @WithDefault("true")
    boolean serverSideApply();

    interface Trainer {
        /**
         * Trainer image of jobs with {@code resources.gpus} 0 that name none (CPU libtorch). Set in
         * application.properties from images.properties; the chart sets {@code ANNEALER_TRAINER_IMAGE}.
         */
        String image();

        /**
         * Trainer image of jobs with {@code resources.gpus} &gt; 0 that name none: the CUDA flavour
         * ({@code <trainer image>-cu124}); the chart sets {@code ANNEALER_TRAINER_GPU_IMAGE}.
         */
        String gpuImage();

        @WithDefault("8080")
        int progressPort();

        /** The trainer image's user (trainer-image/Containerfile: uid 10001). */
        @WithDefault("10001")
        long runAsUser();

        @WithDefault("10001")
        long fsGroup();

        /** Where the image keeps DJL's unpacked native libraries (baked in at image build time). */
        @WithDefault("/opt/annealer/djl-cache")
        String djlCacheDir();

        @WithDefault("120")
        long defaultGraceSeconds();
    }

    interface Progress {
        /** How often a running trainer is polled (at most 5 s so status lags a report by < 10 s). */
        @WithDefault("5s")
        Duration pollInterval();

        /** Bound of one whole progress exchange (connect, headers and body). */
        @WithDefault("2s")
        Duration timeout();

        /** Threads that poll trainers (off the reconcile threads); one fetch per job at a time. */
        @WithDefault("8")
        int concurrency();

        /** Fetches that may wait for a polling thread; beyond that a poll is skipped until the next reconcile. */
        @WithDefault("10000")
        int queue();

        /**
         * Secret in the operator's namespace holding the key every job's progress token is derived from (created
         * with a random key when missing). The chart sets {@code ANNEALER_PROGRESS_KEY_SECRET} to
         * {@code <release>-progress-key}.
         */
        @WithDefault("annealer-progress-key")
        String keySecret();

        /**
         * Namespace of {@link #keySecret()}; default: {@code KUBERNETES_NAMESPACE} (the chart sets it to the pod's
         * namespace), else the client's namespace.
         */
        Optional<String> keyNamespace();
    }

}
