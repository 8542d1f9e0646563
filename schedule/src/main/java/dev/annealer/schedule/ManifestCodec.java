package dev.annealer.schedule;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.annealer.schedule.ScheduleConfig.AfterHorizon;
import dev.annealer.schedule.ScheduleConfig.Cycle;
import dev.annealer.schedule.ScheduleConfig.CycleIndexArithmetic;
import dev.annealer.schedule.ScheduleConfig.Duration;
import dev.annealer.schedule.ScheduleConfig.RestartOnPlateau;
import dev.annealer.schedule.ScheduleConfig.Type;
import dev.annealer.schedule.ScheduleConfig.Warmup;
import dev.annealer.schedule.ScheduleConfig.WarmupPlacement;

/** Reads and writes the {@code {optimizer: {learningRate}, schedule: {...}}} shape of a FineTuneJob. */
final class ManifestCodec {

    static final List<String> SCHEDULE_KEYS = List.of("type", "warmup", "minLearningRate", "horizon", "afterHorizon",
            "period", "periodMultiplier", "peakDecay", "maxCycles", "cycles", "cycleIndexArithmetic", "restartOnPlateau",
            "cosineWaves", "kDecay", "cosineExponent");
    static final List<String> WARMUP_KEYS = List.of("steps", "epochs", "startFactor", "startLearningRate", "placement");
    static final List<String> DURATION_KEYS = List.of("steps", "epochs");
    static final List<String> CYCLE_KEYS = List.of("steps", "epochs", "warmup", "peakLearningRate", "minLearningRate",
            "cosineExponent");
    static final List<String> CYCLE_WARMUP_KEYS = List.of("steps", "epochs", "startFactor", "startLearningRate");
    static final List<String> PLATEAU_KEYS = List.of("patience", "minDelta");

    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");
    private static final String S = ScheduleConfig.SCHEDULE;

    private ManifestCodec() {
    }

    static ScheduleConfig read(Map<String, Object> root, TrainingContext ctx) {
        if (root == null) {
            throw ScheduleValidationException.of("spec", null, "contain optimizer and schedule",
                    "pass {optimizer: {learningRate: ...}, schedule: {...}}");
        }
        ScheduleConfig.Builder b = ScheduleConfig.builder().context(ctx == null ? TrainingContext.NONE : ctx);
        Map<String, Object> opt = map(root.get("optimizer"), "spec.optimizer", null);
        if (opt == null) {
            throw ScheduleValidationException.of("spec.optimizer", null, "be set",
                    "spec.optimizer.learningRate is the peak learning rate of the schedule");
        }
        Double lr = number(opt.get("learningRate"), ScheduleConfig.LEARNING_RATE);
        if (lr == null) {
            throw ScheduleValidationException.of(ScheduleConfig.LEARNING_RATE, null, "be set",
                    "it is the base / peak learning rate every schedule scales");
        }
        b.learningRate(lr);
        Map<String, Object> s = map(root.get("schedule"), S, SCHEDULE_KEYS);
        if (s == null) {
            return b.type(Type.Constant).build();
        }
        b.type(enumValue(s.get("type"), S + ".type", Type.class));
        if (s.get("type") == null) {
            b.type(Type.Constant);
        }
        b.warmup(warmup(s.get("warmup"), S + ".warmup", WARMUP_KEYS));
        b.minLearningRate(number(s.get("minLearningRate"), S + ".minLearningRate"));
        b.horizon(duration(s.get("horizon"), S + ".horizon"));
        b.afterHorizon(enumValue(s.get("afterHorizon"), S + ".afterHorizon", AfterHorizon.class));
        b.period(duration(s.get("period"), S + ".period"));
        b.periodMultiplier(number(s.get("periodMultiplier"), S + ".periodMultiplier"));
        b.peakDecay(number(s.get("peakDecay"), S + ".peakDecay"));
        b.maxCycles(whole(s.get("maxCycles"), S + ".maxCycles"));
        b.cycles(cycles(s.get("cycles")));
        b.cycleIndexArithmetic(enumValue(s.get("cycleIndexArithmetic"), S + ".cycleIndexArithmetic",
                CycleIndexArithmetic.class));
        Map<String, Object> p = map(s.get("restartOnPlateau"), S + ".restartOnPlateau", PLATEAU_KEYS);
        if (p != null) {
            Long patience = whole(p.get("patience"), S + ".restartOnPlateau.patience");
            if (patience == null) {
                throw ScheduleValidationException.of(S + ".restartOnPlateau.patience", null, "be set",
                        "it counts evaluations without improvement before an early restart");
            }
            if (patience > Integer.MAX_VALUE || patience < Integer.MIN_VALUE) {
                throw ScheduleValidationException.of(S + ".restartOnPlateau.patience", patience,
                        "be at most " + Integer.MAX_VALUE, "it counts validation evaluations");
            }
            Double minDelta = number(p.get("minDelta"), S + ".restartOnPlateau.minDelta");
            b.restartOnPlateau(new RestartOnPlateau(patience.intValue(), minDelta == null ? 0.0 : minDelta));
        }
        b.cosineWaves(number(s.get("cosineWaves"), S + ".cosineWaves"));
        b.kDecay(number(s.get("kDecay"), S + ".kDecay"));
        b.cosineExponent(number(s.get("cosineExponent"), S + ".cosineExponent"));
        return b.build();
    }

    private static List<Cycle> cycles(Object o) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof List<?> list)) {
            throw ScheduleValidationException.of(S + ".cycles", String.valueOf(o), "be a list of cycles",
                    "e.g. [{steps: 100, peakLearningRate: 0.01}, {steps: 200, peakLearningRate: 0.005}]");
        }
        List<Cycle> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String f = S + ".cycles[" + i + "]";
            Map<String, Object> c = map(list.get(i), f, CYCLE_KEYS);
            if (c == null) {
                throw ScheduleValidationException.of(f, null, "be a cycle", "each entry needs steps or epochs");
            }
            out.add(new Cycle(new Duration(number(c.get("steps"), f + ".steps"), number(c.get("epochs"), f + ".epochs")),
                    warmup(c.get("warmup"), f + ".warmup", CYCLE_WARMUP_KEYS),
                    number(c.get("peakLearningRate"), f + ".peakLearningRate"),
                    number(c.get("minLearningRate"), f + ".minLearningRate"),
                    number(c.get("cosineExponent"), f + ".cosineExponent")));
        }
        return out;
    }

    private static Warmup warmup(Object o, String f, List<String> keys) {
        Map<String, Object> w = map(o, f, keys);
        if (w == null) {
            return null;
        }
        return new Warmup(new Duration(number(w.get("steps"), f + ".steps"), number(w.get("epochs"), f + ".epochs")),
                number(w.get("startFactor"), f + ".startFactor"), number(w.get("startLearningRate"), f + ".startLearningRate"),
                enumValue(w.get("placement"), f + ".placement", WarmupPlacement.class));
    }

    private static Duration duration(Object o, String f) {
        Map<String, Object> d = map(o, f, DURATION_KEYS);
        if (d == null) {
            return null;
        }
        return new Duration(number(d.get("steps"), f + ".steps"), number(d.get("epochs"), f + ".epochs"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String f, List<String> accepted) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof Map<?, ?> m)) {
            throw ScheduleValidationException.of(f, String.valueOf(o), "be a map"
                    + (accepted == null ? "" : " with keys " + accepted), "see docs/schedule.md");
        }
        if (accepted != null) {
            for (Object k : m.keySet()) {
                if (!accepted.contains(String.valueOf(k))) {
                    throw ScheduleValidationException.of(f + "." + k, String.valueOf(m.get(k)),
                            "be one of the accepted keys " + accepted, "unknown keys are rejected so typos are not ignored");
                }
            }
        }
        return (Map<String, Object>) m;
    }

    static Double number(Object o, String f) {
        if (o == null) {
            return null;
        }
        if (o instanceof Number n) {
            if (o instanceof BigDecimal bd) {
                return bd.doubleValue();
            }
            return n.doubleValue();
        }
        if (o instanceof String str) {
            String t = str.trim();
            if (NUMBER.matcher(t).matches()) {
                return Double.parseDouble(t);
            }
        }
        throw ScheduleValidationException.of(f, String.valueOf(o), "be a number", "e.g. 3.0e-4 or 2000");
    }

    static Long whole(Object o, String f) {
        Double d = number(o, f);
        if (d == null) {
            return null;
        }
        if (d != Math.rint(d) || Math.abs(d) > 9.0e15) {
            throw ScheduleValidationException.of(f, o, "be a whole number", "it counts cycles or evaluations");
        }
        return d.longValue();
    }

    static <E extends Enum<E>> E enumValue(Object o, String f, Class<E> type) {
        if (o == null) {
            return null;
        }
        String v = String.valueOf(o).trim();
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name());
        }
        throw ScheduleValidationException.of(f, v, "be one of " + String.join(" | ", names), null);
    }

    // ------------------------------------------------------------------------------------------------ writing

    static Map<String, Object> write(ScheduleConfig c) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("learningRate", c.learningRate());
        root.put("optimizer", opt);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", c.type().name());
        if (c.warmup() != null) {
            s.put("warmup", writeWarmup(c.warmup()));
        }
        putIf(s, "minLearningRate", c.minLearningRate());
        if (c.horizon() != null) {
            s.put("horizon", writeDuration(c.horizon(), new LinkedHashMap<>()));
        }
        if (c.afterHorizon() != null) {
            s.put("afterHorizon", c.afterHorizon().name());
        }
        if (c.period() != null) {
            s.put("period", writeDuration(c.period(), new LinkedHashMap<>()));
        }
        putIf(s, "periodMultiplier", c.periodMultiplier());
        putIf(s, "peakDecay", c.peakDecay());
        if (c.maxCycles() != null) {
            s.put("maxCycles", c.maxCycles());
        }
        if (c.cycles() != null) {
            List<Object> list = new ArrayList<>();
            for (Cycle cy : c.cycles()) {
                Map<String, Object> m = writeDuration(cy.length(), new LinkedHashMap<>());
                if (cy.warmup() != null) {
                    m.put("warmup", writeWarmup(cy.warmup()));
                }
                putIf(m, "peakLearningRate", cy.peakLearningRate());
                putIf(m, "minLearningRate", cy.minLearningRate());
                putIf(m, "cosineExponent", cy.cosineExponent());
                list.add(m);
            }
            s.put("cycles", list);
        }
        if (c.cycleIndexArithmetic() != null) {
            s.put("cycleIndexArithmetic", c.cycleIndexArithmetic().name());
        }
        if (c.restartOnPlateau() != null) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("patience", c.restartOnPlateau().patience());
            p.put("minDelta", c.restartOnPlateau().minDelta());
            s.put("restartOnPlateau", p);
        }
        putIf(s, "cosineWaves", c.cosineWaves());
        putIf(s, "kDecay", c.kDecay());
        putIf(s, "cosineExponent", c.cosineExponent());
        root.put("schedule", s);
        return root;
    }

    private static Map<String, Object> writeWarmup(Warmup w) {
        Map<String, Object> m = writeDuration(w.length(), new LinkedHashMap<>());
        putIf(m, "startFactor", w.startFactor());
        putIf(m, "startLearningRate", w.startLearningRate());
        if (w.placement() != null) {
            m.put("placement", w.placement().name());
        }
        return m;
    }

    private static Map<String, Object> writeDuration(Duration d, Map<String, Object> m) {
        if (d == null) {
            return m;
        }
        if (d.steps() != null) {
            m.put("steps", count(d.steps()));
        }
        if (d.epochs() != null) {
            m.put("epochs", count(d.epochs()));
        }
        return m;
    }

    /** Whole durations as Long (so YAML shows 2000, not 2000.0); others as Double. */
    private static Object count(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 9.0e15) {
            return (long) v;
        }
        return v;
    }

    private static void putIf(Map<String, Object> m, String k, Double v) {
        if (v != null) {
            m.put(k, v);
        }
    }

}
