package dev.annealer.operator;

import java.time.Duration;

/** {@link OperatorConfig} for tests that build the reconciler without Quarkus (mock server: no SSA). */
public final class TestConfig implements OperatorConfig {

    public static final TestConfig INSTANCE = new TestConfig();

    @Override
    public Trainer trainer() {
        return new Trainer() {
            @Override
            public String image() {
                return "localhost/annealer/annealer-trainer:0.1.0";
            }

            @Override
            public String gpuImage() {
                return "localhost/annealer/annealer-trainer:0.1.0-cu124";
            }

            @Override
            public int progressPort() {
                return 8080;
            }

            @Override
            public long runAsUser() {
                return 10001;
            }

            @Override
            public long fsGroup() {
                return 10001;
            }

            @Override
            public String djlCacheDir() {
                return "/opt/annealer/djl-cache";
            }

            @Override
            public long defaultGraceSeconds() {
                return 120;
            }
        };
    }

    @Override
    public Progress progress() {
        return new Progress() {
            @Override
            public Duration pollInterval() {
                return Duration.ofSeconds(1);
            }

            @Override
            public Duration timeout() {
                return Duration.ofMillis(300);
            }

            @Override
            public int concurrency() {
                return 2;
            }

            @Override
            public int queue() {
                return 100;
            }

            @Override
            public String keySecret() {
                return "annealer-progress-key";
            }

            @Override
            public java.util.Optional<String> keyNamespace() {
                return java.util.Optional.of("annealer-system");
            }
        };
    }

    @Override
    public Duration imagePullGrace() {
        return Duration.ofMinutes(5);
    }

    @Override
    public Duration configErrorGrace() {
        return Duration.ofMinutes(2);
    }

    @Override
    public boolean serverSideApply() {
        return false;
    }
}
