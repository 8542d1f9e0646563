package dev.annealer.schedule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import dev.annealer.schedule.SchedulePosition.Phase;

/**
 * A learning-rate schedule as a pure function of the step: {@code Schedule.of(config).lr(step)}.
 *
 * <p>Contracts:
 * <ul>
 *   <li>{@link #lr(long)} and {@link #position(long)} are pure and thread-safe, and cost O(1): the cycle index is
 *       computed in closed form and corrected exactly at boundaries (integer arithmetic when periods are whole
 *       steps), never by iterating over cycles. They stay exact at step 10^12 and beyond (up to 2^62).</li>
 *   <li>Step 0 is the first optimizer step; the LR returned for step n is the one in effect for step n.</li>
 *   <li>With restarts on plateau, {@link #lr(long, PlateauState)} is a pure function of (config, state, step).</li>
 *   <li>{@link #fingerprint()} = {@code "sha256:" + hex(SHA-256(canonical form))}; the canonical form is a complete
 *       description of what is evaluated, so equal fingerprints mean bit-identical LRs at every step, and any change
 *       that moves any step's LR changes it.</li>
 * </ul>
 * See {@link ScheduleConfig} for the formulas.
 */
public final class Schedule {

    private static final double HALF_PI = Math.PI / 2;
    /**
     * For non-default shapes (cosineWaves != 0.5, kDecay != 1), a cosine factor below 2^-55 is returned as 0: that is
     * exactly where the peers' {@code (1 + cos x) / 2} rounds to 0 ({@code cos x} rounds to -1 within 1e-8 rad of the
     * trough), and where the phase itself is only known to its rounding (cosineWaves 0.3 is not exactly 3/10).
     */
    private static final double PEER_ZERO = 0x1p-55;

    private final ScheduleConfig config;
    private final Plan plan;
    private final String canonical;
    private final String fingerprint;
    private final Cycles cycles;
    private final long[] pieceStarts;
    private final double holdValue;
    private final boolean canonicalShape;
    /** afterHorizon: Continue: the horizon as a double-double, and as a long when whole (else -1). */
    private final DD continuePeriod;
    private final long continueWhole;

    private Schedule(ScheduleConfig config) {
        this.config = config;
        this.plan = config.plan();
        this.canonical = plan.canonicalText();
        this.fingerprint = "sha256:" + sha256(canonical);
        this.canonicalShape = plan.waves == 0.5 && plan.kDecay == 1.0;
        if (plan.kind == Plan.Kind.CYCLES && plan.continueAfter) {
            this.continuePeriod = DD.of(plan.period.toDoubleDouble());
            Rational p = plan.period.reduced();
            this.continueWhole = p.isInteger() && p.num().bitLength() < 61 ? p.num().longValue() : -1;
        } else {
            this.continuePeriod = null;
            this.continueWhole = -1;
        }
        if (plan.kind == Plan.Kind.CYCLES) {
            this.cycles = new Cycles(plan.period, plan.multiplier, plan.float64Log);
            this.pieceStarts = null;
            this.holdValue = plan.maxCycles < 0 ? Double.NaN
                    : endValue(peakOf(plan.maxCycles - 1), plan.min, plan.exponent);
        } else if (plan.kind == Plan.Kind.LIST) {
            this.cycles = null;
            List<Plan.Piece> ps = plan.pieces;
            this.pieceStarts = new long[ps.size() + 1];
            for (int i = 0; i < ps.size(); i++) {
                pieceStarts[i + 1] = Math.addExact(pieceStarts[i], ps.get(i).length());
            }
            Plan.Piece last = ps.get(ps.size() - 1);
            this.holdValue = endValue(last.peak(), last.min(), last.exponent());
        } else {
            this.cycles = null;
            this.pieceStarts = null;
            this.holdValue = plan.peak;
        }
    }

    /** Builds the schedule of a (validated) config. */
    public static Schedule of(ScheduleConfig config) {
        return new Schedule(config);
    }

    /** The config this schedule evaluates. */
    public ScheduleConfig config() {
        return config;
    }

    /** {@code "sha256:<hex>"} of {@link #canonicalForm()}. */
    public String fingerprint() {
        return fingerprint;
    }

    /** The canonical text the fingerprint hashes (stable across versions of this library for the same meaning). */
    public String canonicalForm() {
        return canonical;
    }

    /** Steps of the schedule-level warmup. */
    public long warmupSteps() {
        return plan.warmupSteps;
    }

    /**
     * The first step of the final hold (after the last cycle), or -1 when the schedule never settles (unlimited
     * cycles, {@code afterHorizon: Continue}, or Constant).
     */
    public long endStep() {
        if (plan.kind == Plan.Kind.LIST) {
            return origin() + pieceStarts[pieceStarts.length - 1];
        }
        if (plan.kind != Plan.Kind.CYCLES || plan.maxCycles < 0 || plan.continueAfter) {
            return -1;
        }
        return saturatingAdd(origin(), cycles.firstStep(plan.maxCycles));
    }

    /**
     * The first step of cycle {@code cycle} without early restarts, or -1 when the schedule has no such cycle, or
     * {@code Long.MAX_VALUE} when it would start beyond 2^62. Exact (rational arithmetic); meant for tables and plots,
     * not the per-step hot path.
     */
    public long cycleStart(long cycle) {
        if (cycle < 0) {
            return -1;
        }
        if (plan.kind == Plan.Kind.LIST) {
            return cycle < plan.pieces.size() ? origin() + pieceStarts[(int) cycle] : -1;
        }
        if (plan.kind != Plan.Kind.CYCLES) {
            return cycle == 0 ? plan.warmupSteps : -1;
        }
        if (plan.maxCycles >= 0 && cycle >= plan.maxCycles) {
            return -1;
        }
        if (plan.continueAfter && cycle > 0) {
            return -1;
        }
        return saturatingAdd(origin(), cycles.firstStep(cycle));
    }

    /** Number of cycles, or -1 when unlimited. */
    public long cycleCount() {
        return switch (plan.kind) {
            case CONSTANT -> 0;
            case LIST -> plan.pieces.size();
            case CYCLES -> plan.maxCycles;
        };
    }

    /** Whether {@code restartOnPlateau} is active for this schedule. */
    public boolean restartsOnPlateau() {
        return plan.restartsEnabled();
    }

    Plan plan() {
        return plan;
    }

    // ------------------------------------------------------------------------------------------- evaluation

    /** The learning rate of step {@code step} (>= 0). Pure, O(1). */
    public double lr(long step) {
        if (step >= plan.warmupSteps && cycles != null && !plan.continueAfter && cycles.fastInt()) {
            // hot path for whole periods and multipliers: exact long arithmetic, no allocation
            long k = step - origin();
            long j = cycles.indexInt(k);
            if (plan.maxCycles >= 0 && j >= plan.maxCycles) {
                return holdValue;
            }
            long r = k - cycles.startInt(j);
            long len = cycles.lengthInt(j);
            double b = len == Long.MAX_VALUE ? Double.MAX_VALUE : (double) (len - r);
            return cycleLr(peakOf(j), plan.min, plan.exponent, (double) r, b);
        }
        if (step >= plan.warmupSteps && cycles != null && !plan.continueAfter) {
            // hot path for fractional periods / real multipliers: double-double tables, no allocation
            long k = step - origin();
            long j = cycles.indexReal(k);
            if (j >= 0) {
                if (plan.maxCycles >= 0 && j >= plan.maxCycles) {
                    return holdValue;
                }
                return cycleLr(peakOf(j), plan.min, plan.exponent, cycles.elapsedReal(k, j), cycles.remainingReal(k, j));
            }
        }
        return evaluate(step, null, false).learningRate();
    }

    /** The learning rate of step {@code step} given the plateau state (early restarts). Pure in (config, state, step). */
    public double lr(long step, PlateauState state) {
        return evaluate(step, state, false).learningRate();
    }

    /** Where step {@code step} falls: cycle, step in cycle, cycle length, peak, LR, phase. */
    public SchedulePosition position(long step) {
        return evaluate(step, null, true);
    }

    /** {@link #position(long)} with early restarts from {@code state}. */
    public SchedulePosition position(long step, PlateauState state) {
        return evaluate(step, state, true);
    }

    private long origin() {
        return plan.overlap ? 0 : plan.warmupSteps;
    }

    private SchedulePosition evaluate(long step, PlateauState state, boolean full) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0 (got " + step + ")");
        }
        long w = plan.warmupSteps;
        if (step < w) {
            double lr = ramp(plan.warmupStart, plan.peak, step, w);
            return new SchedulePosition(step, 0, step, w, plan.peak, lr, Phase.WARMUP);
        }
        PlateauState.Restart restart = state == null ? null : state.restartAtOrBefore(step);
        switch (plan.kind) {
            case CONSTANT:
                return new SchedulePosition(step, 0, step - w, 0, plan.peak, plan.peak, Phase.HOLD);
            case LIST:
                return evaluateList(step, restart);
            default:
                return evaluateCycles(step, restart, full);
        }
    }

    private SchedulePosition evaluateCycles(long step, PlateauState.Restart restart, boolean full) {
        long c0 = 0;
        long k = step - origin();
        if (restart != null) {
            c0 = restart.cycle();
            k = step - restart.step();
        }
        if (plan.continueAfter) {
            return continued(step, k);
        }
        // the same arithmetic as lr(step), so position(step).learningRate() == lr(step) bit for bit
        long cycle;
        double r;
        double b;
        long cycleStep;
        long len;
        long jReal = restart == null && !cycles.fastInt() ? cycles.indexReal(k) : -1;
        if (restart == null && cycles.fastInt()) {
            cycle = cycles.indexInt(k);
            long rl = k - cycles.startInt(cycle);
            long ll = cycles.lengthInt(cycle);
            r = rl;
            b = ll == Long.MAX_VALUE ? Double.MAX_VALUE : (double) (ll - rl);
            cycleStep = Math.max(0, rl);
            len = ll;
        } else if (jReal >= 0) {
            cycle = jReal;
            r = cycles.elapsedReal(k, cycle);
            b = cycles.remainingReal(k, cycle);
            cycleStep = Math.max(0, wholeFloor(r));
            len = cycleStep + Math.max(0, wholeCeil(b));
        } else {
            Cycles.Loc loc = cycles.locate(k, c0);
            cycle = c0 + loc.j();
            r = loc.r().value();
            b = loc.b().value();
            cycleStep = Math.max(0, loc.floorR());
            len = loc.ceilB() == Long.MAX_VALUE ? Long.MAX_VALUE : cycleStep + Math.max(0, loc.ceilB());
        }
        if (plan.maxCycles >= 0 && cycle >= plan.maxCycles) {
            // hold: steps since the hold began = steps since the start of cycle maxCycles
            long since = full ? holdSince(k, c0) : 0;
            return new SchedulePosition(step, plan.maxCycles, since, 0, plan.min, holdValue, Phase.HOLD);
        }
        double peakI = peakOf(cycle);
        double lr = cycleLr(peakI, plan.min, plan.exponent, r, b);
        return new SchedulePosition(step, cycle, cycleStep, len, peakI, lr, Phase.ANNEALING);
    }

    /** floor(x) for a step count computed in floating point: a value within 1e-9 below an integer is that integer. */
    private static long wholeFloor(double x) {
        double f = Math.floor(x);
        return (long) (x - f > 1 - 1e-9 ? f + 1 : f);
    }

    /** ceil(x), with a value within 1e-9 above an integer taken as that integer. */
    private static long wholeCeil(double x) {
        double c = Math.ceil(x);
        return (long) (c - x > 1 - 1e-9 ? c - 1 : c);
    }

    private long holdSince(long k, long c0) {
        long rel = plan.maxCycles - c0;
        if (c0 == 0) {
            long first = cycles.firstStep(rel);
            return first == Long.MAX_VALUE ? 0 : Math.max(0, k - first);
        }
        Rational s = cycles.exactStart(c0, rel);
        long first = s.ceil().longValue();
        return Math.max(0, k - first);
    }

    /** afterHorizon: Continue: one cycle whose cosine keeps going past its end. */
    private SchedulePosition continued(long step, long k) {
        double lr;
        if (canonicalShape && continueWhole > 0) {
            // whole period: exact reduction modulo the cosine's period 2T
            long t = continueWhole;
            long rem = k % (2 * t);
            long r = rem <= t ? rem : 2 * t - rem;
            lr = cycleLr(plan.peak, plan.min, plan.exponent, (double) r, (double) (t - r));
        } else if (plan.kDecay == 1.0) {
            // theta = waves * k / T in double-double, so its fractional part stays exact far past the horizon
            DD theta = DD.of(k).mul(plan.waves).div(continuePeriod);
            lr = rawLr(plan.peak, plan.min, plan.exponent, waveFactor(theta));
        } else {
            lr = shapeLr(plan.peak, plan.min, plan.exponent, k / continuePeriod.hi());
        }
        long len = (long) Math.ceil(continuePeriod.hi());
        return new SchedulePosition(step, 0, k, len, plan.peak, lr, Phase.ANNEALING);
    }

    /** cos^2(pi * theta) for theta given in double-double: reduced and folded before rounding to double. */
    private static double waveFactor(DD theta) {
        DD v = theta.sub(DD.of(Math.floor(theta.hi())));
        if (v.signum() < 0) {
            v = v.add(DD.ONE);
        }
        if (v.hi() >= 1.0) {
            v = v.sub(DD.ONE);
        }
        DD half = DD.of(0.5);
        if (v.sub(half).signum() > 0) {
            v = DD.ONE.sub(v);
        }
        DD d = half.sub(v);
        if (d.signum() == 0) {
            return 0.0;
        }
        if (v.hi() > 0.25) {
            double sn = StrictMath.sin(Math.PI * d.value());
            return sn * sn < PEER_ZERO ? 0.0 : sn * sn;
        }
        double c = StrictMath.cos(Math.PI * v.value());
        return c * c;
    }

    private SchedulePosition evaluateList(long step, PlateauState.Restart restart) {
        long tau;
        int from = 0;
        if (restart != null) {
            from = (int) Math.min(restart.cycle(), plan.pieces.size());
            tau = saturatingAdd(pieceStarts[from], step - restart.step());
        } else {
            tau = step - origin();
        }
        int n = plan.pieces.size();
        if (tau >= pieceStarts[n]) {
            return new SchedulePosition(step, n, tau - pieceStarts[n], 0, plan.pieces.get(n - 1).min(), holdValue,
                    Phase.HOLD);
        }
        int i = upperBound(pieceStarts, tau, from) - 1;
        Plan.Piece p = plan.pieces.get(i);
        long local = tau - pieceStarts[i];
        if (local < p.warmup()) {
            double lr = ramp(p.warmupStart(), p.peak(), local, p.warmup());
            return new SchedulePosition(step, i, local, p.length(), p.peak(), lr, Phase.WARMUP);
        }
        long r = local - p.warmup();
        long b = p.length() - local;
        double lr = cycleLr(p.peak(), p.min(), p.exponent(), DD.of(r), DD.of(b));
        return new SchedulePosition(step, i, local, p.length(), p.peak(), lr, Phase.ANNEALING);
    }

    /** Index of the first element > key, searching from {@code from}. */
    private static int upperBound(long[] a, long key, int from) {
        int lo = from;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private double peakOf(long cycle) {
        return plan.decay == 1.0 ? plan.peak : plan.peak * StrictMath.pow(plan.decay, (double) cycle);
    }

    /** Linear ramp: start + (peak - start) * t / w. */
    private static double ramp(double start, double peak, long t, long w) {
        return (peak - start) * ((double) t / (double) w) + start;
    }

    /**
     * LR inside a cycle with elapsed r and remaining b (T = r + b): {@code min + (peak - min) * f^p} with
     * {@code f = cos^2(pi * waves * (r/T)^k)}. For the default shape the factor is computed from whichever of r and
     * b is smaller ({@code cos^2(pi/2 r/T)} or {@code sin^2(pi/2 b/T)}), so it keeps full relative precision near the
     * trough even in cycles of 10^11 steps; at r = 0 the result is exactly the peak.
     */
    private double cycleLr(double peak, double min, double p, DD r, DD b) {
        return cycleLr(peak, min, p, r.value(), b.value());
    }

    private double cycleLr(double peak, double min, double p, double rv, double bv) {
        if (!canonicalShape) {
            return shapeLr(peak, min, p, rv / (rv + bv));
        }
        if (rv == 0) {
            return peak;
        }
        if (rv < 0) {
            // only with Float64Log, when the peers' rounded log lands just past a boundary
            return rawLr(peak, min, p, cosSq(rv / (rv + bv)));
        }
        if (bv <= 0) {
            return min;
        }
        // r and b are each accurate to full relative precision (the subtraction was done in double-double)
        double total = rv + bv;
        if (rv <= bv) {
            double c = StrictMath.cos(HALF_PI * (rv / total));
            return rawLr(peak, min, p, c * c);
        }
        double s = StrictMath.sin(HALF_PI * (bv / total));
        return rawLr(peak, min, p, s * s);
    }

    private static double cosSq(double x) {
        double c = StrictMath.cos(HALF_PI * x);
        return c * c;
    }

    /** Assembles the LR from the factor f in [0, 1]; exact peak at f = 1, exact floor at f = 0. */
    private static double rawLr(double peak, double min, double p, double f) {
        if (p != 1.0) {
            f = StrictMath.pow(f, p);
        }
        if (f >= 0.5) {
            return peak - (peak - min) * (1.0 - f);
        }
        return min + (peak - min) * f;
    }

    /** The general shape at cycle fraction x (may exceed 1 for Continue): f = cos^2(pi * waves * x^kDecay). */
    private double shapeLr(double peak, double min, double p, double x) {
        double xe = plan.kDecay == 1.0 ? x : StrictMath.pow(x, plan.kDecay);
        return rawLr(peak, min, p, waveFactor(plan.waves * xe));
    }

    /**
     * cos^2(pi * theta), reduced so that exact half-integers give exactly 0 and integers exactly 1, and a factor
     * below {@link #PEER_ZERO} is 0 (so the LR there is exactly the floor, as the peers give).
     */
    private static double waveFactor(double theta) {
        double v = theta - Math.floor(theta);
        if (v > 0.5) {
            v = 1.0 - v;
        }
        if (v == 0.5) {
            return 0.0;
        }
        if (v > 0.25) {
            double s = StrictMath.sin(Math.PI * (0.5 - v));
            return s * s < PEER_ZERO ? 0.0 : s * s;
        }
        double c = StrictMath.cos(Math.PI * v);
        return c * c;
    }

    /** The value at the very end of a cycle (what the hold keeps). */
    private double endValue(double peak, double min, double p) {
        return rawLr(peak, min, p, waveFactor(plan.waves));
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return Long.MAX_VALUE;
        }
        return r;
    }

    private static String sha256(String s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    @Override
    public String toString() {
        return "Schedule[" + fingerprint + "]";
    }
}
