package dev.annealer.schedule;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import dev.annealer.schedule.ScheduleConfig.AfterHorizon;
import dev.annealer.schedule.ScheduleConfig.Cycle;
import dev.annealer.schedule.ScheduleConfig.CycleIndexArithmetic;
import dev.annealer.schedule.ScheduleConfig.Duration;
import dev.annealer.schedule.ScheduleConfig.RestartOnPlateau;
import dev.annealer.schedule.ScheduleConfig.Type;
import dev.annealer.schedule.ScheduleConfig.Warmup;
import dev.annealer.schedule.ScheduleConfig.WarmupPlacement;

/** Validates a {@link ScheduleConfig} and resolves it into its canonical {@link Plan}. Pure. */
final class Resolver {

    /** Largest duration accepted, in steps: 2^53, so every step count is an exact double and long math never overflows. */
    static final double MAX_STEPS = 9007199254740992.0;

    private static final String S = ScheduleConfig.SCHEDULE;

    private Resolver() {
    }

    static Plan resolve(ScheduleConfig c) {
        double peak = c.learningRate();
        if (!(peak > 0) || !Double.isFinite(peak)) {
            throw ScheduleValidationException.of(ScheduleConfig.LEARNING_RATE, peak, "be a finite number > 0",
                    "it is the peak learning rate the schedule scales");
        }
        TrainingContext ctx = c.context();
        Type type = c.type();

        // fields that only one family uses: reject elsewhere, so a typo'd intent never silently does nothing
        if (type != Type.Cosine) {
            notFor(c.horizon() != null && type != Type.CosineWarmRestarts, "horizon", c.horizon(), type,
                    "Cosine or CosineWarmRestarts");
            notFor(c.afterHorizon() != null, "afterHorizon", c.afterHorizon(), type, "Cosine");
        }
        if (type != Type.CosineWarmRestarts) {
            notFor(c.period() != null, "period", c.period(), type, "CosineWarmRestarts");
            notFor(c.periodMultiplier() != null, "periodMultiplier", c.periodMultiplier(), type, "CosineWarmRestarts");
            notFor(c.peakDecay() != null, "peakDecay", c.peakDecay(), type, "CosineWarmRestarts");
            notFor(c.maxCycles() != null, "maxCycles", c.maxCycles(), type, "CosineWarmRestarts");
            notFor(c.cycles() != null, "cycles", c.cycles(), type, "CosineWarmRestarts");
            notFor(c.cycleIndexArithmetic() != null, "cycleIndexArithmetic", c.cycleIndexArithmetic(), type,
                    "CosineWarmRestarts");
            notFor(c.restartOnPlateau() != null, "restartOnPlateau", c.restartOnPlateau(), type,
                    "CosineWarmRestarts (a restart needs a next cycle)");
        }
        if (type == Type.Constant) {
            notFor(c.minLearningRate() != null, "minLearningRate", c.minLearningRate(), type,
                    "Cosine or CosineWarmRestarts");
            notFor(c.cosineWaves() != null, "cosineWaves", c.cosineWaves(), type, "Cosine or CosineWarmRestarts");
            notFor(c.kDecay() != null, "kDecay", c.kDecay(), type, "Cosine or CosineWarmRestarts");
            notFor(c.cosineExponent() != null, "cosineExponent", c.cosineExponent(), type,
                    "Cosine or CosineWarmRestarts");
        }

        // warmup
        long warmupSteps = 0;
        double warmupStart = 0;
        boolean overlap = false;
        Warmup w = c.warmup();
        if (w != null) {
            warmupSteps = wholeSteps(w.length(), S + ".warmup", ctx, true);
            warmupStart = startOf(w, peak, S + ".warmup");
            overlap = w.placement() == WarmupPlacement.Overlap;
            if (overlap && type != Type.CosineWarmRestarts && type != Type.Cosine) {
                throw ScheduleValidationException.of(S + ".warmup.placement", "Overlap",
                        "be Prefix for a Constant schedule", "Overlap shares the first cycle's clock, and there is none");
            }
        }
        if (warmupSteps == 0) {
            warmupStart = 0;
            overlap = false;
        }

        double min = c.minLearningRate() == null ? 0.0 : c.minLearningRate();
        double waves = positive(c.cosineWaves(), 0.5, "cosineWaves",
                "it is the number of full cosine periods per cycle (0.5 = one decay from peak to min)");
        double kDecay = positive(c.kDecay(), 1.0, "kDecay", "the cosine argument is pi * (t/T)^kDecay");
        double exponent = positive(c.cosineExponent(), 1.0, "cosineExponent",
                "the cosine factor is raised to this power");

        if (type == Type.Constant) {
            return new Plan(Plan.Kind.CONSTANT, peak, warmupSteps, warmupStart, false, null, 1, 1, -1, false, false,
                    peak, 0.5, 1, 1, null, 0, 0);
        }
        if (c.cycles() == null) {
            checkMin(min, peak, S + ".minLearningRate");
        }

        if (type == Type.Cosine) {
            Rational horizon;
            if (c.horizon() != null) {
                horizon = steps(c.horizon(), S + ".horizon", ctx, false);
            } else {
                if (!ctx.hasTotalSteps()) {
                    throw ScheduleValidationException.of(S + ".horizon", null, "be set when the training budget is unknown",
                            "give horizon: {steps: N} or {epochs: x}, or set spec.training.maxSteps / epochs");
                }
                long rest = ctx.totalSteps() - (overlap ? 0 : warmupSteps);
                if (rest <= 0) {
                    throw ScheduleValidationException.of(S + ".warmup.steps", warmupSteps,
                            "be shorter than the training budget of " + ctx.totalSteps() + " steps",
                            "the cosine needs at least one step after the warmup");
                }
                horizon = Rational.of(rest);
            }
            boolean cont = c.afterHorizon() == AfterHorizon.Continue;
            return canonical(new Plan(Plan.Kind.CYCLES, peak, warmupSteps, warmupStart, overlap, horizon, 1, 1, 1, cont,
                    false, min, waves, kDecay, exponent, null, 0, 0));
        }

        // CosineWarmRestarts
        int patience = 0;
        double minDelta = 0;
        RestartOnPlateau rop = c.restartOnPlateau();
        if (rop != null) {
            if (rop.patience() < 1) {
                throw ScheduleValidationException.of(S + ".restartOnPlateau.patience", rop.patience(), "be >= 1",
                        "it counts validation evaluations without improvement before an early restart");
            }
            if (!(rop.minDelta() >= 0) || !Double.isFinite(rop.minDelta())) {
                throw ScheduleValidationException.of(S + ".restartOnPlateau.minDelta", rop.minDelta(),
                        "be a finite number >= 0", "it is the loss decrease that counts as an improvement");
            }
            patience = rop.patience();
            minDelta = rop.minDelta();
        }

        if (c.cycles() != null) {
            for (String[] f : new String[][] {{"period", String.valueOf(c.period())},
                {"periodMultiplier", String.valueOf(c.periodMultiplier())}, {"peakDecay", String.valueOf(c.peakDecay())},
                {"maxCycles", String.valueOf(c.maxCycles())}, {"horizon", String.valueOf(c.horizon())},
                {"cycleIndexArithmetic", String.valueOf(c.cycleIndexArithmetic())}}) {
                if (!"null".equals(f[1])) {
                    throw ScheduleValidationException.of(S + "." + f[0], f[1], "be omitted when cycles is given",
                            "an explicit cycle list sets every cycle's length and peak itself");
                }
            }
            if (c.cycles().isEmpty()) {
                throw ScheduleValidationException.of(S + ".cycles", "[]", "list at least one cycle",
                        "or remove it and use period / periodMultiplier");
            }
            if (c.minLearningRate() != null) {
                nonNegative(min, S + ".minLearningRate");
            }
            List<Plan.Piece> pieces = new ArrayList<>();
            for (int i = 0; i < c.cycles().size(); i++) {
                pieces.add(piece(c.cycles().get(i), i, peak, min, exponent, ctx));
            }
            if (patience > 0 && pieces.size() < 2) {
                throw ScheduleValidationException.of(S + ".restartOnPlateau", rop, "be omitted for a single cycle",
                        "an early restart needs a next cycle to start");
            }
            return canonical(new Plan(Plan.Kind.LIST, peak, warmupSteps, warmupStart, overlap, null, 1, 1, -1, false,
                    false, min, waves, kDecay, exponent, pieces, patience, minDelta));
        }

        double m = c.periodMultiplier() == null ? 1.0 : c.periodMultiplier();
        if (!(m >= 1) || !Double.isFinite(m)) {
            throw ScheduleValidationException.of(S + ".periodMultiplier", c.periodMultiplier(), "be a finite number >= 1",
                    "a multiplier below 1 would shrink cycles forever");
        }
        double decay = c.peakDecay() == null ? 1.0 : c.peakDecay();
        if (!(decay > 0 && decay <= 1)) {
            throw ScheduleValidationException.of(S + ".peakDecay", c.peakDecay(), "be in (0, 1]",
                    "cycle i peaks at learningRate * peakDecay^i; 1 keeps every peak equal");
        }
        long maxCycles = -1;
        if (c.maxCycles() != null) {
            if (c.maxCycles() < 1) {
                throw ScheduleValidationException.of(S + ".maxCycles", c.maxCycles(), "be >= 1 (or omitted for unlimited)",
                        "after this many cycles the LR holds at minLearningRate");
            }
            maxCycles = c.maxCycles();
        }
        Rational period;
        if (c.period() != null && c.horizon() != null) {
            throw ScheduleValidationException.of(S + ".horizon", c.horizon(), "be omitted when period is given",
                    "give the first cycle's length (period) or the total length of maxCycles cycles (horizon), not both");
        }
        if (c.period() != null) {
            period = steps(c.period(), S + ".period", ctx, false);
        } else if (c.horizon() != null) {
            if (maxCycles < 0) {
                throw ScheduleValidationException.of(S + ".maxCycles", null, "be set when horizon is given",
                        "horizon is split into maxCycles cycles (each periodMultiplier times the previous)");
            }
            Rational h = steps(c.horizon(), S + ".horizon", ctx, false);
            period = periodFromHorizon(h, m, maxCycles);
        } else {
            throw ScheduleValidationException.of(S + ".period", null, "be set for CosineWarmRestarts",
                    "give the first cycle's length as {steps: N} or {epochs: x} (or horizon with maxCycles)");
        }
        if (rop != null && maxCycles == 1) {
            throw ScheduleValidationException.of(S + ".restartOnPlateau", rop, "be omitted when maxCycles is 1",
                    "an early restart needs a next cycle to start");
        }
        boolean f64 = c.cycleIndexArithmetic() == CycleIndexArithmetic.Float64Log;
        return canonical(new Plan(Plan.Kind.CYCLES, peak, warmupSteps, warmupStart, overlap, period, m, decay, maxCycles,
                false, f64, min, waves, kDecay, exponent, null, patience, minDelta));
    }

    /** Collapses equivalent spellings so that equal curves get equal canonical text. */
    static Plan canonical(Plan p) {
        if (p.kind == Plan.Kind.LIST) {
            if (p.pieces.size() == 1 && p.warmupSteps == 0) {
                // one listed cycle = a Cosine with that cycle's warmup as a prefix warmup
                Plan.Piece q = p.pieces.get(0);
                return canonical(new Plan(Plan.Kind.CYCLES, q.peak(), q.warmup(), q.warmupStart(), false,
                        Rational.of(q.length() - q.warmup()), 1, 1, 1, false, false, q.min(), p.waves, p.kDecay,
                        q.exponent(), null, 0, 0));
            }
            return p;
        }
        if (p.kind != Plan.Kind.CYCLES) {
            return p;
        }
        long maxCycles = p.maxCycles;
        double m = p.multiplier;
        double decay = p.decay;
        boolean f64 = p.float64Log;
        boolean cont = p.continueAfter;
        int patience = p.patience;
        double minDelta = p.minDelta;
        if (maxCycles == 1) {
            m = 1;
            decay = 1;
            patience = 0;
            minDelta = 0;
        } else {
            cont = false;
        }
        if (m == 1) {
            f64 = false;
        }
        if (p.min == p.peak && (decay == 1 || maxCycles == 1)) {
            return new Plan(Plan.Kind.CONSTANT, p.peak, p.warmupSteps, p.warmupStart, false, null, 1, 1, -1, false,
                    false, p.peak, 0.5, 1, 1, null, 0, 0);
        }
        if (patience == 0) {
            minDelta = 0;
        }
        return new Plan(Plan.Kind.CYCLES, p.peak, p.warmupSteps, p.warmupStart, p.overlap, p.period, m, decay,
                maxCycles, cont, f64, p.min, p.waves, p.kDecay, p.exponent, null, patience, minDelta);
    }

    /** T_0 such that maxCycles cycles (T_0, T_0 m, ...) fill the horizon exactly: H (m - 1) / (m^N - 1). */
    static Rational periodFromHorizon(Rational h, double m, long n) {
        if (m == 1.0) {
            return h.divide(Rational.of(n));
        }
        if (n > 100_000) {
            throw ScheduleValidationException.of(S + ".maxCycles", n, "be at most 100000 when horizon is given",
                    "the period is derived exactly from horizon, periodMultiplier and maxCycles");
        }
        Rational mr = Rational.of(m);
        Rational mn = new Rational(mr.num().pow((int) n), mr.den().pow((int) n));
        return h.multiply(mr.subtract(Rational.of(1))).divide(mn.subtract(Rational.of(1)));
    }

    private static Plan.Piece piece(Cycle cy, int i, double defPeak, double defMin, double defExp, TrainingContext ctx) {
        String f = S + ".cycles[" + i + "]";
        if (cy == null) {
            throw ScheduleValidationException.of(f, null, "be a cycle", "each entry needs at least steps or epochs");
        }
        long len = wholeSteps(cy.length(), f, ctx, false);
        double peak = cy.peakLearningRate() == null ? defPeak : cy.peakLearningRate();
        if (!(peak > 0) || !Double.isFinite(peak)) {
            throw ScheduleValidationException.of(f + ".peakLearningRate", cy.peakLearningRate(), "be a finite number > 0",
                    "it is this cycle's peak LR");
        }
        double min = cy.minLearningRate() == null ? defMin : cy.minLearningRate();
        checkMin(min, peak, cy.minLearningRate() == null ? S + ".minLearningRate" : f + ".minLearningRate");
        double exp = cy.cosineExponent() == null ? defExp : cy.cosineExponent();
        if (!(exp > 0) || !Double.isFinite(exp)) {
            throw ScheduleValidationException.of(f + ".cosineExponent", cy.cosineExponent(), "be a finite number > 0",
                    "the cosine factor is raised to this power");
        }
        long wsteps = 0;
        double wstart = 0;
        if (cy.warmup() != null) {
            if (cy.warmup().placement() != null) {
                throw ScheduleValidationException.of(f + ".warmup.placement", cy.warmup().placement(),
                        "be omitted inside a listed cycle", "a cycle's own warmup always starts the cycle");
            }
            wsteps = wholeSteps(cy.warmup().length(), f + ".warmup", ctx, true);
            wstart = startOf(cy.warmup(), peak, f + ".warmup");
            if (wsteps >= len) {
                throw ScheduleValidationException.of(f + ".warmup.steps", wsteps, "be shorter than the cycle (" + len
                        + " steps)", "the cycle length includes its warmup, and the cosine needs at least one step");
            }
        }
        if (wsteps == 0) {
            wstart = 0;
        }
        return new Plan.Piece(len, wsteps, wstart, peak, min, exp);
    }

    private static double startOf(Warmup w, double peak, String f) {
        if (w.startFactor() != null && w.startLearningRate() != null) {
            throw ScheduleValidationException.of(f + ".startLearningRate", w.startLearningRate(),
                    "be omitted when startFactor is given", "give the ramp's start as a factor of the peak or as an LR, not both");
        }
        if (w.startFactor() != null) {
            double sf = w.startFactor();
            if (!(sf >= 0 && sf <= 1)) {
                throw ScheduleValidationException.of(f + ".startFactor", sf, "be in [0, 1]",
                        "the ramp starts at startFactor * peak and rises to the peak");
            }
            return sf * peak;
        }
        if (w.startLearningRate() != null) {
            double s = w.startLearningRate();
            if (!(s >= 0) || !Double.isFinite(s)) {
                throw ScheduleValidationException.of(f + ".startLearningRate", s, "be a finite number >= 0",
                        "it is the LR of the warmup's first step");
            }
            return s;
        }
        return 0.0;
    }

    /**
     * The floor must be a finite LR >= 0. It may exceed the peak: the cosine then rises from the peak to the
     * "floor", exactly as torch/timm/optax compute it for eta_min > lr, so imported schedules stay expressible.
     */
    private static void checkMin(double min, double peak, String field) {
        nonNegative(min, field);
    }

    private static void nonNegative(double v, String field) {
        if (!(v >= 0) || !Double.isFinite(v)) {
            throw ScheduleValidationException.of(field, v, "be a finite number >= 0", "it is a learning rate");
        }
    }

    private static double positive(Double v, double def, String name, String why) {
        if (v == null) {
            return def;
        }
        if (!(v > 0) || !Double.isFinite(v)) {
            throw ScheduleValidationException.of(S + "." + name, v, "be a finite number > 0", why);
        }
        return v;
    }

    private static void notFor(boolean present, String name, Object value, Type type, String usedBy) {
        if (present) {
            throw ScheduleValidationException.of(S + "." + name, String.valueOf(value),
                    "be omitted for type " + type, "it is only used by " + usedBy);
        }
    }

    /** A duration as an exact number of steps (possibly fractional when allowFraction... see callers). */
    static Rational steps(Duration d, String field, TrainingContext ctx, boolean allowZero) {
        if (d == null || (d.steps() == null && d.epochs() == null)) {
            throw ScheduleValidationException.of(field, null, "give steps or epochs", "e.g. {steps: 2000} or {epochs: 1.5}");
        }
        if (d.steps() != null && d.epochs() != null) {
            throw ScheduleValidationException.of(field + ".epochs", d.epochs(), "be omitted when steps is given",
                    "give the length in steps or in epochs, not both");
        }
        String sub = d.steps() != null ? field + ".steps" : field + ".epochs";
        double v = d.steps() != null ? d.steps() : d.epochs();
        boolean ok = allowZero ? v >= 0 : v > 0;
        if (!ok || !Double.isFinite(v)) {
            throw ScheduleValidationException.of(sub, v, allowZero ? "be a finite number >= 0" : "be a finite number > 0",
                    "it is a length of training");
        }
        Rational r;
        if (d.steps() != null) {
            r = Rational.of(v);
        } else {
            if (ctx.stepsPerEpoch() == null) {
                throw ScheduleValidationException.of(sub, v, "be given in steps when the steps per epoch are unknown",
                        "write {steps: N}, or run with a dataset (or --steps-per-epoch) so epochs can be converted");
            }
            // The decimal the user wrote (0.1 epochs means one tenth), not the binary double nearest to it.
            r = Rational.of(BigDecimal.valueOf(v).multiply(BigDecimal.valueOf(ctx.stepsPerEpoch())));
        }
        if (r.compareTo(Rational.of(MAX_STEPS)) > 0) {
            throw ScheduleValidationException.of(sub, v, "be at most 2^53 steps", "longer durations lose step precision");
        }
        return r;
    }

    static long wholeSteps(Duration d, String field, TrainingContext ctx, boolean allowZero) {
        Rational r = steps(d, field, ctx, allowZero);
        if (!r.isInteger()) {
            String sub = d.steps() != null ? field + ".steps" : field + ".epochs";
            Object v = d.steps() != null ? d.steps() : d.epochs();
            throw ScheduleValidationException.of(sub, v, "be a whole number of steps (it resolves to "
                    + new BigDecimal(r.num()).divide(new BigDecimal(r.den()), java.math.MathContext.DECIMAL64) + ")",
                    "warmups and listed cycles are counted in whole optimizer steps");
        }
        BigInteger n = r.reduced().num();
        return n.longValueExact();
    }
}
