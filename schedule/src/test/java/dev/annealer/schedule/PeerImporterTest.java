package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Importer errors and mappings beyond the shared vectors. */
class PeerImporterTest {

    static ScheduleValidationException reject(String name, Map<String, Object> args, Integer k) {
        return catchThrowableOfType(ScheduleValidationException.class, () -> PeerImporter.fromPeer(name, args, k));
    }

    @Test
    void unknownNamesListTheAcceptedOnes() {
        ScheduleValidationException e = reject("torch:StepLR", Map.of("lr", 0.1), null);
        assertThat(e.field()).isEqualTo("from");
        assertThat(e).hasMessageStartingWith("from must be one of torch:CosineAnnealingLR, "
                + "torch:CosineAnnealingWarmRestarts, transformers:get_cosine_schedule_with_warmup");
        assertThat(e.getMessage()).contains("optax:sgdr_schedule");
    }

    @Test
    void unknownArgumentsListTheAcceptedOnes() {
        ScheduleValidationException e = reject("torch:CosineAnnealingLR", Map.of("lr", 0.1, "T_max", 10, "gamma", 0.1), null);
        assertThat(e.field()).isEqualTo("args.gamma");
        assertThat(e).hasMessage("args.gamma must be one of the arguments of torch:CosineAnnealingLR: "
                + "[lr, T_max, eta_min, last_epoch, verbose] (got 0.1): unknown arguments are rejected rather than ignored");
        assertThat(reject("torch:CosineAnnealingLR", Map.of("lr", 0.1), null)).hasMessageStartingWith(
                "args.T_max must be set (got null)");
        assertThat(reject("torch:CosineAnnealingWarmRestarts", Map.of("lr", 0.1, "T_0", 10, "T_mult", 1.5), null))
                .hasMessageStartingWith("args.T_mult must be a whole number >= 1 (got 1.5)");
        assertThat(reject("timm:CosineLRScheduler", Map.of("lr", 0.1, "t_initial", 10, "noise_range_t", 5), null))
                .hasMessageStartingWith("args.noise_range_t must be null");
        assertThat(reject("transformers:get_cosine_with_min_lr_schedule_with_warmup",
                Map.of("lr", 0.1, "num_warmup_steps", 1, "num_training_steps", 10), null))
                .hasMessageStartingWith("args.min_lr_rate must be given, or min_lr, but exactly one");
        assertThat(reject("optax:sgdr_schedule", Map.of("cosine_kwargs", List.of()), null))
                .hasMessageStartingWith("args.cosine_kwargs must be a non-empty list");
        assertThat(reject("timm:CosineLRScheduler", Map.of("lr", 0.1, "t_initial", 10, "warmup_t", 1), 3))
                .isNull();
        assertThat(reject("transformers:get_cosine_schedule_with_warmup",
                Map.of("lr", 0.1, "num_warmup_steps", 1.5, "num_training_steps", 10), 1))
                .hasMessageStartingWith("args.num_warmup_steps must give a whole number of optimizer steps");
    }

    @Test
    void stepsPerEpochScalesEveryDuration() {
        // torch CosineAnnealingLR stepped with epoch + i/K uses its closed form at fractional epochs
        ScheduleConfig c = PeerImporter.fromPeer("torch:CosineAnnealingLR", Map.of("lr", 1.0, "T_max", 3), 10);
        Schedule s = Schedule.of(c);
        for (int n = 0; n < 80; n++) {
            double epoch = n / 10 + (n % 10) / 10.0;
            double torch = 0.5 * (1 + Math.cos(Math.PI * epoch / 3));
            assertThat(Math.abs(s.lr(n) - torch)).isLessThanOrEqualTo(1e-15);
        }
        // hard restarts over 100 steps in 3 cycles: the cycle length is 33.33.. steps, kept exact
        Schedule hf = Schedule.of(PeerImporter.fromPeer("transformers:get_cosine_with_hard_restarts_schedule_with_warmup",
                Map.of("lr", 1.0, "num_warmup_steps", 0, "num_training_steps", 100, "num_cycles", 3), null));
        for (int n = 0; n < 100; n++) {
            double progress = n / 100.0;
            double hfLr = 0.5 * (1 + Math.cos(Math.PI * ((3 * progress) % 1.0)));
            assertThat(Math.abs(hf.lr(n) - hfLr)).as("step %d", n).isLessThanOrEqualTo(1e-15);
        }
        assertThat(hf.lr(100)).isZero();
    }

    @Test
    void lastEpochOtherThanMinusOneIsNotAScheduleDefinition() {
        assertThat(reject("torch:CosineAnnealingLR", Map.of("lr", 1.0, "T_max", 3, "last_epoch", 5), null))
                .hasMessageStartingWith("args.last_epoch must be -1 (a fresh scheduler) (got 5)");
    }

    @Test
    void troughsOfNonDefaultCosinesAreExactlyZeroLikeThePeers() {
        // transformers, num_cycles 0.3, 72 steps after the warmup: step 122 has 0.3 * 2 * 120/72 = 1, so
        // 0.5 * (1 + cos(pi * 1.0)) = 0.0 exactly in transformers; 0.3 is not exactly 3/10, the trough must still be 0
        Schedule s = Schedule.of(PeerImporter.fromPeer("transformers:get_cosine_schedule_with_warmup",
                Map.of("lr", 0.1, "num_warmup_steps", 2, "num_training_steps", 74, "num_cycles", 0.3), null));
        assertThat(s.lr(122)).isZero();
        assertThat(s.lr(121)).isPositive();
    }
}
