package dev.annealer.schedule;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.annealer.schedule.ScheduleConfig.AfterHorizon;
import dev.annealer.schedule.ScheduleConfig.Cycle;
import dev.annealer.schedule.ScheduleConfig.CycleIndexArithmetic;
import dev.annealer.schedule.ScheduleConfig.Duration;
import dev.annealer.schedule.ScheduleConfig.Type;
import dev.annealer.schedule.ScheduleConfig.Warmup;
import dev.annealer.schedule.ScheduleConfig.WarmupPlacement;

/**
 * Translates a peer library's scheduler and its constructor arguments into the equivalent {@link ScheduleConfig}
 * whose {@code lr(n)} equals the LR the library gives for optimizer step n (within 1e-9 relative, in practice a few
 * ulps; the conformance test checks every shared vector).
 *
 * <p>{@code args} are the constructor arguments as JSON gives them; {@code lr} is the optimizer's base LR (optax has
 * none: its {@code peak_value} is the peak). {@code stepsPerEpoch = K} means the peer was stepped with fractional
 * epochs {@code epoch + i/K} before each of K optimizer steps per epoch, so every duration argument is in epochs and
 * is multiplied by K; without it, the peer was stepped once per optimizer step.
 *
 * <table>
 *   <caption>Mapping (D = duration argument x K when stepsPerEpoch is given)</caption>
 *   <tr><th>peer</th><th>our schedule</th></tr>
 *   <tr><td>torch CosineAnnealingLR(lr, T_max, eta_min)</td><td>Cosine, horizon T_max, minLearningRate eta_min,
 *       afterHorizon Continue</td></tr>
 *   <tr><td>torch CosineAnnealingWarmRestarts(lr, T_0, T_mult, eta_min)</td><td>CosineWarmRestarts, period T_0,
 *       periodMultiplier T_mult, minLearningRate eta_min; Float64Log index when stepped with epochs and T_mult &gt; 1
 *       </td></tr>
 *   <tr><td>transformers get_cosine_schedule_with_warmup(lr, num_warmup_steps, num_training_steps, num_cycles)</td>
 *       <td>Cosine, warmup {steps: W, startFactor 0}, horizon N - W, cosineWaves num_cycles, Continue</td></tr>
 *   <tr><td>transformers get_cosine_with_hard_restarts_schedule_with_warmup(..., num_cycles)</td><td>
 *       CosineWarmRestarts, warmup W, horizon N - W, maxCycles num_cycles (equal cycles, no decay, then 0)</td></tr>
 *   <tr><td>transformers get_cosine_with_min_lr_schedule_with_warmup(..., min_lr | min_lr_rate)</td><td>Cosine,
 *       minLearningRate min_lr or lr x min_lr_rate, Continue</td></tr>
 *   <tr><td>timm CosineLRScheduler(t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init,
 *       warmup_prefix, k_decay)</td><td>CosineWarmRestarts, period, periodMultiplier, peakDecay, maxCycles,
 *       warmup {startLearningRate, placement Prefix|Overlap}, kDecay; Float64Log index when cycle_mul != 1</td></tr>
 *   <tr><td>optax warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps, end_value,
 *       exponent)</td><td>learningRate peak_value, Cosine, warmup {startLearningRate init_value}, horizon decay_steps -
 *       warmup_steps, minLearningRate end_value, cosineExponent exponent, Hold</td></tr>
 *   <tr><td>optax sgdr_schedule(cosine_kwargs)</td><td>CosineWarmRestarts with an explicit cycles list, one per
 *       kwargs entry</td></tr>
 * </table>
 */
public final class PeerImporter {

    /** The accepted {@code library:scheduler} names. */
    public static final List<String> NAMES = List.of("torch:CosineAnnealingLR", "torch:CosineAnnealingWarmRestarts",
            "transformers:get_cosine_schedule_with_warmup",
            "transformers:get_cosine_with_hard_restarts_schedule_with_warmup",
            "transformers:get_cosine_with_min_lr_schedule_with_warmup", "timm:CosineLRScheduler",
            "optax:warmup_cosine_decay_schedule", "optax:sgdr_schedule");

    private static final Map<String, List<String>> ACCEPTED = new LinkedHashMap<>();

    static {
        ACCEPTED.put(NAMES.get(0), List.of("lr", "T_max", "eta_min", "last_epoch", "verbose"));
        ACCEPTED.put(NAMES.get(1), List.of("lr", "T_0", "T_mult", "eta_min", "last_epoch", "verbose"));
        ACCEPTED.put(NAMES.get(2), List.of("lr", "num_warmup_steps", "num_training_steps", "num_cycles", "last_epoch"));
        ACCEPTED.put(NAMES.get(3), List.of("lr", "num_warmup_steps", "num_training_steps", "num_cycles", "last_epoch"));
        ACCEPTED.put(NAMES.get(4), List.of("lr", "num_warmup_steps", "num_training_steps", "num_cycles", "last_epoch",
                "min_lr", "min_lr_rate"));
        ACCEPTED.put(NAMES.get(5), List.of("lr", "t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit",
                "warmup_t", "warmup_lr_init", "warmup_prefix", "t_in_epochs", "noise_range_t", "noise_pct", "noise_std",
                "noise_seed", "k_decay", "initialize"));
        ACCEPTED.put(NAMES.get(6), List.of("init_value", "peak_value", "warmup_steps", "decay_steps", "end_value",
                "exponent"));
        ACCEPTED.put(NAMES.get(7), List.of("cosine_kwargs"));
    }

    private static final List<String> OPTAX_PIECE = List.of("init_value", "peak_value", "warmup_steps", "decay_steps",
            "end_value", "exponent");

    private PeerImporter() {
    }

    /**
     * @param libColonScheduler one of {@link #NAMES}
     * @param args the peer's constructor arguments ({@code lr} = optimizer base LR)
     * @param stepsPerEpoch K when the peer was stepped with fractional epochs {@code epoch + i/K}; null otherwise
     * @throws ScheduleValidationException for an unknown name or argument (listing what is accepted) or a bad value
     */
    public static ScheduleConfig fromPeer(String libColonScheduler, Map<String, Object> args, Integer stepsPerEpoch) {
        List<String> accepted = ACCEPTED.get(libColonScheduler);
        if (accepted == null) {
            throw ScheduleValidationException.of("from", libColonScheduler, "be one of " + String.join(", ", NAMES),
                    "these are the peer schedulers whose arithmetic is reproduced exactly");
        }
        if (stepsPerEpoch != null && stepsPerEpoch < 1) {
            throw ScheduleValidationException.of("stepsPerEpoch", stepsPerEpoch, "be >= 1",
                    "it is K in step(epoch + i/K), the optimizer steps per epoch");
        }
        Map<String, Object> a = args == null ? Map.of() : args;
        for (String k : a.keySet()) {
            if (!accepted.contains(k)) {
                throw ScheduleValidationException.of("args." + k, a.get(k),
                        "be one of the arguments of " + libColonScheduler + ": " + accepted,
                        "unknown arguments are rejected rather than ignored");
            }
        }
        Args p = new Args(libColonScheduler, a, stepsPerEpoch);
        TrainingContext ctx = new TrainingContext(0, stepsPerEpoch == null ? null : stepsPerEpoch.doubleValue());
        ScheduleConfig.Builder b = ScheduleConfig.builder().context(ctx);
        switch (libColonScheduler) {
            case "torch:CosineAnnealingLR" -> {
                p.lastEpochDefault();
                b.learningRate(p.req("lr")).type(Type.Cosine).horizon(p.duration("T_max", true))
                        .minLearningRate(p.opt("eta_min", 0.0)).afterHorizon(AfterHorizon.Continue);
            }
            case "torch:CosineAnnealingWarmRestarts" -> {
                p.lastEpochDefault();
                double t0 = p.req("T_0");
                p.integer("T_0", t0, 1);
                double tMult = p.opt("T_mult", 1.0);
                p.integer("T_mult", tMult, 1);
                b.learningRate(p.req("lr")).type(Type.CosineWarmRestarts).period(p.duration("T_0", true))
                        .minLearningRate(p.opt("eta_min", 0.0));
                if (tMult != 1.0) {
                    b.periodMultiplier(tMult);
                    if (stepsPerEpoch != null) {
                        b.cycleIndexArithmetic(CycleIndexArithmetic.Float64Log);
                    }
                }
            }
            case "transformers:get_cosine_schedule_with_warmup",
                 "transformers:get_cosine_with_min_lr_schedule_with_warmup" -> {
                p.lastEpochDefault();
                double lr = p.req("lr");
                b.learningRate(lr).type(Type.Cosine).afterHorizon(AfterHorizon.Continue);
                hfWarmupAndHorizon(p, b);
                double cycles = p.opt("num_cycles", 0.5);
                if (!(cycles > 0)) {
                    throw ScheduleValidationException.of("args.num_cycles", cycles, "be > 0",
                            "it is the number of cosine waves over the horizon (0.5 = one decay)");
                }
                if (cycles != 0.5) {
                    b.cosineWaves(cycles);
                }
                if (libColonScheduler.endsWith("min_lr_schedule_with_warmup")) {
                    boolean hasMin = a.get("min_lr") != null;
                    boolean hasRate = a.get("min_lr_rate") != null;
                    if (hasMin == hasRate) {
                        throw ScheduleValidationException.of("args.min_lr_rate", a.get("min_lr_rate"),
                                "be given, or min_lr, but exactly one of them (min_lr = " + a.get("min_lr") + ")",
                                "transformers requires exactly one floor");
                    }
                    b.minLearningRate(hasMin ? p.req("min_lr") : lr * p.req("min_lr_rate"));
                }
            }
            case "transformers:get_cosine_with_hard_restarts_schedule_with_warmup" -> {
                p.lastEpochDefault();
                b.learningRate(p.req("lr")).type(Type.CosineWarmRestarts);
                double horizonSteps = hfWarmupAndHorizon(p, b);
                double cycles = p.opt("num_cycles", 1.0);
                p.integer("num_cycles", cycles, 1);
                b.horizon(Duration.steps(horizonSteps)).maxCycles((long) cycles);
            }
            case "timm:CosineLRScheduler" -> timm(p, a, b);
            case "optax:warmup_cosine_decay_schedule" -> {
                double peak = p.req("peak_value");
                double warm = p.opt("warmup_steps", 0.0);
                double decay = p.req("decay_steps");
                if (!(decay > warm)) {
                    throw ScheduleValidationException.of("args.decay_steps", decay,
                            "be > warmup_steps (" + warm + ")", "optax's decay_steps includes the warmup");
                }
                b.learningRate(peak).type(Type.Cosine).horizon(Duration.steps(p.scale(decay - warm)))
                        .minLearningRate(p.opt("end_value", 0.0)).afterHorizon(AfterHorizon.Hold);
                if (warm > 0) {
                    b.warmup(new Warmup(Duration.steps(p.wholeScaled("warmup_steps", warm)), null,
                            p.opt("init_value", 0.0), null));
                }
                double e = p.opt("exponent", 1.0);
                if (e != 1.0) {
                    b.cosineExponent(e);
                }
            }
            case "optax:sgdr_schedule" -> optaxSgdr(p, a, b);
            default -> throw new IllegalStateException(libColonScheduler);
        }
        return b.build();
    }

    /** Sets the HF warmup (linear from 0) and returns the horizon N - W in steps (after scaling). */
    private static double hfWarmupAndHorizon(Args p, ScheduleConfig.Builder b) {
        double w = p.opt("num_warmup_steps", 0.0);
        double n = p.req("num_training_steps");
        if (!(w >= 0)) {
            throw ScheduleValidationException.of("args.num_warmup_steps", w, "be >= 0", "it is a step count");
        }
        if (!(n > w)) {
            throw ScheduleValidationException.of("args.num_training_steps", n, "be > num_warmup_steps (" + w + ")",
                    "the cosine runs over num_training_steps - num_warmup_steps");
        }
        if (w > 0) {
            b.warmup(new Warmup(Duration.steps(p.wholeScaled("num_warmup_steps", w)), 0.0, null, null));
        }
        double h = p.scale(n - w);
        b.horizon(Duration.steps(h));
        return h;
    }

    private static void timm(Args p, Map<String, Object> a, ScheduleConfig.Builder b) {
        for (String noise : List.of("noise_range_t")) {
            if (a.get(noise) != null) {
                throw ScheduleValidationException.of("args." + noise, a.get(noise), "be null",
                        "timm's LR noise is random per step, so it cannot be part of a reproducible schedule");
            }
        }
        double mul = p.opt("cycle_mul", 1.0);
        double limit = p.opt("cycle_limit", 1.0);
        p.integer("cycle_limit", limit, 1);
        b.learningRate(p.req("lr")).type(Type.CosineWarmRestarts).period(p.duration("t_initial", false))
                .minLearningRate(p.opt("lr_min", 0.0)).maxCycles((long) limit);
        if (mul != 1.0) {
            b.periodMultiplier(mul).cycleIndexArithmetic(CycleIndexArithmetic.Float64Log);
        }
        double decay = p.opt("cycle_decay", 1.0);
        if (decay != 1.0) {
            b.peakDecay(decay);
        }
        double k = p.opt("k_decay", 1.0);
        if (k != 1.0) {
            b.kDecay(k);
        }
        double wt = p.opt("warmup_t", 0.0);
        if (wt > 0) {
            boolean prefix = p.bool("warmup_prefix", false);
            b.warmup(new Warmup(Duration.steps(p.wholeScaled("warmup_t", wt)), null, p.opt("warmup_lr_init", 0.0),
                    prefix ? WarmupPlacement.Prefix : WarmupPlacement.Overlap));
        }
        p.bool("t_in_epochs", true);
        p.bool("initialize", true);
    }

    private static void optaxSgdr(Args p, Map<String, Object> a, ScheduleConfig.Builder b) {
        Object kw = a.get("cosine_kwargs");
        if (!(kw instanceof List<?> list) || list.isEmpty()) {
            throw ScheduleValidationException.of("args.cosine_kwargs", kw, "be a non-empty list of "
                    + "{init_value, peak_value, decay_steps, warmup_steps, end_value, exponent}",
                    "each entry is one warmup-cosine cycle");
        }
        List<Cycle> cycles = new ArrayList<>();
        double first = 0;
        for (int i = 0; i < list.size(); i++) {
            String f = "args.cosine_kwargs[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw ScheduleValidationException.of(f, list.get(i), "be a map with keys " + OPTAX_PIECE,
                        "each entry is the kwargs of one warmup_cosine_decay_schedule");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> e = (Map<String, Object>) m;
            for (String k : e.keySet()) {
                if (!OPTAX_PIECE.contains(k)) {
                    throw ScheduleValidationException.of(f + "." + k, e.get(k), "be one of " + OPTAX_PIECE,
                            "these are warmup_cosine_decay_schedule's arguments");
                }
            }
            Args q = new Args(p.name, e, p.k, f + ".");
            double peak = q.req("peak_value");
            double warm = q.opt("warmup_steps", 0.0);
            double decay = q.req("decay_steps");
            if (!(decay > warm)) {
                throw ScheduleValidationException.of(f + ".decay_steps", decay, "be > warmup_steps (" + warm + ")",
                        "optax's decay_steps includes the warmup");
            }
            Warmup w = warm > 0 ? new Warmup(Duration.steps(q.wholeScaled("warmup_steps", warm)), null,
                    q.opt("init_value", 0.0), null) : null;
            double exp = q.opt("exponent", 1.0);
            cycles.add(new Cycle(Duration.steps(q.wholeScaled("decay_steps", decay)), w, peak, q.opt("end_value", 0.0),
                    exp == 1.0 ? null : exp));
            if (i == 0) {
                first = peak;
            }
        }
        b.learningRate(first).type(Type.CosineWarmRestarts).cycles(cycles);
    }

    /** Typed access to one peer's args with field-named errors. */
    private static final class Args {
        final String name;
        final Map<String, Object> a;
        final Integer k;
        final String prefix;

        Args(String name, Map<String, Object> a, Integer k) {
            this(name, a, k, "args.");
        }

        Args(String name, Map<String, Object> a, Integer k, String prefix) {
            this.name = name;
            this.a = a;
            this.k = k;
            this.prefix = prefix;
        }

        double req(String key) {
            Object v = a.get(key);
            if (v == null) {
                throw ScheduleValidationException.of(prefix + key, null, "be set",
                        name + " requires it (accepted: " + ACCEPTED.get(name) + ")");
            }
            return num(key, v);
        }

        double opt(String key, double def) {
            Object v = a.get(key);
            return v == null ? def : num(key, v);
        }

        private double num(String key, Object v) {
            if (v instanceof Boolean) {
                throw ScheduleValidationException.of(prefix + key, v, "be a number", null);
            }
            Double d = ManifestCodec.number(v, prefix + key);
            if (!Double.isFinite(d)) {
                throw ScheduleValidationException.of(prefix + key, v, "be a finite number", null);
            }
            return d;
        }

        boolean bool(String key, boolean def) {
            Object v = a.get(key);
            if (v == null) {
                return def;
            }
            if (v instanceof Boolean bo) {
                return bo;
            }
            throw ScheduleValidationException.of(prefix + key, v, "be true or false", null);
        }

        void integer(String key, double v, double min) {
            if (v != Math.rint(v) || v < min) {
                throw ScheduleValidationException.of(prefix + key, a.get(key) == null ? v : a.get(key),
                        "be a whole number >= " + (long) min, name + " accepts only that");
            }
        }

        void lastEpochDefault() {
            Object v = a.get("last_epoch");
            if (v != null && num("last_epoch", v) != -1) {
                throw ScheduleValidationException.of(prefix + "last_epoch", v, "be -1 (a fresh scheduler)",
                        "a resumed peer's position is not part of its definition; import the fresh scheduler, our "
                                + "schedule is a pure function of the step");
            }
        }

        /** The duration argument x K (exact product, may be fractional). */
        double scale(double v) {
            return k == null ? v : new BigDecimal(v).multiply(BigDecimal.valueOf(k)).doubleValue();
        }

        Duration duration(String key, boolean positive) {
            double v = req(key);
            if (!(v > 0)) {
                throw ScheduleValidationException.of(prefix + key, a.get(key), "be > 0", "it is a cycle length");
            }
            return Duration.steps(scale(v));
        }

        double wholeScaled(String key, double v) {
            double s = scale(v);
            if (s != Math.rint(s)) {
                throw ScheduleValidationException.of(prefix + key, a.get(key), "give a whole number of optimizer steps"
                        + (k == null ? "" : " when multiplied by steps per epoch " + k), "warmups ramp once per step");
            }
            return s;
        }
    }
}
