package dev.annealer.api.validation;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Validates an object against a CustomResourceDefinition the way the API server does: the structural schema
 * (types, enums, bounds, lengths, required and unknown fields, with nulls dropped) and then every
 * {@code x-kubernetes-validations} CEL rule, evaluated with the CEL library ({@code dev.cel}) after the schema's
 * {@code default}s are applied and numbers are typed as the schema says ({@code integer} -> int, {@code number} ->
 * double). Transition rules (those that read {@code oldSelf}) run only on an update.
 *
 * <p>The rules are read from the CRD, never copied, so a field added to the model (and regenerated into the CRD) is
 * covered without a change here. {@code CelRulesIT} sends the same cases to a real API server and requires the same
 * verdict. Not covered: the API server's CEL cost budget and Kubernetes-specific CEL libraries (quantity, url, ...);
 * a rule that uses one fails {@link #compileAll()}.
 *
 * <p>{@code status} is not checked: the API server ignores it on create and update (status subresource).
 */
public final class CrdValidator {

    /** The FineTuneJob CRD bundled with this module (a copy of the generated {@code finetunejobs.annealer.dev-v1.yml}). */
    public static final String FINETUNEJOB_CRD = "/dev/annealer/api/finetunejobs.annealer.dev-v1.yml";

    /** One CEL rule of the CRD: where it sits ({@code spec.schedule}, {@code spec.schedule.cycles[*]}) and its message. */
    public record Rule(String path, String expression, String message) {
    }

    private static final Set<String> ROOT_FIELDS = Set.of("apiVersion", "kind", "metadata");
    private static final Set<String> METADATA_FIELDS = Set.of("name", "generateName", "namespace", "labels",
            "annotations", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
            "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields", "selfLink");
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern BARE_SELF = Pattern.compile("(?<![A-Za-z0-9_])self(?![.A-Za-z0-9_])");
    private static final Pattern SELF_REF = Pattern.compile("(?<![A-Za-z0-9_])self((?:\\.[A-Za-z_][A-Za-z0-9_]*)+)");
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("self", SimpleType.DYN)
            .addVar("oldSelf", SimpleType.DYN)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();
    private static volatile CrdValidator fineTuneJob;

    private final Map<String, Object> rootSchema;
    private final Map<String, CelRuntime.Program> programs = new ConcurrentHashMap<>();

    /** A validator of the first version of {@code crd} (a CustomResourceDefinition as plain values). */
    public CrdValidator(Map<String, Object> crd) {
        Map<String, Object> spec = map(crd.get("spec"));
        Map<String, Object> version = map(list(spec.get("versions")).get(0));
        this.rootSchema = map(map(version.get("schema")).get("openAPIV3Schema"));
    }

    /** The validator of the FineTuneJob CRD shipped in this jar (loaded once, its rules compiled on first use). */
    public static CrdValidator fineTuneJob() {
        CrdValidator v = fineTuneJob;
        if (v == null) {
            synchronized (CrdValidator.class) {
                if (fineTuneJob == null) {
                    fineTuneJob = new CrdValidator(loadCrd(FINETUNEJOB_CRD));
                }
                v = fineTuneJob;
            }
        }
        return v;
    }

    private static Map<String, Object> loadCrd(String resource) {
        try (InputStream in = CrdValidator.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the CRD " + resource + " is not on the classpath (build crds/)");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return map(KubeYaml.parseAll(text, resource).get(0).value());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every CEL rule of the schema, depth first. */
    public List<Rule> rules() {
        List<Rule> out = new ArrayList<>();
        collect(rootSchema, "", out);
        return out;
    }

    private static void collect(Map<String, Object> schema, String path, List<Rule> out) {
        for (Object r : list(schema.getOrDefault("x-kubernetes-validations", List.of()))) {
            Map<String, Object> rule = map(r);
            out.add(new Rule(path, (String) rule.get("rule"), messageOf(rule)));
        }
        for (Map.Entry<String, Object> p : map(schema.getOrDefault("properties", Map.of())).entrySet()) {
            collect(map(p.getValue()), join(path, p.getKey()), out);
        }
        if (schema.get("items") instanceof Map<?, ?> items) {
            collect(map(items), path + "[*]", out);
        }
        if (schema.get("additionalProperties") instanceof Map<?, ?> ap) {
            collect(map(ap), path + ".*", out);
        }
    }

    /** Compiles every rule: a syntax or type error, or a Kubernetes-only CEL function, fails here. */
    public void compileAll() {
        for (Rule r : rules()) {
            program(r.expression());
        }
    }

    /** {@link #validate(Map, Map)} of a parsed YAML document, whose lines and YAML 1.1 words improve the messages. */
    public List<Violation> validate(KubeYaml.Document doc) {
        if (!(doc.value() instanceof Map<?, ?>)) {
            return List.of(new Violation("", describe(doc.value()), "a manifest must be a mapping with apiVersion, "
                    + "kind, metadata and spec (got " + describe(doc.value()) + ")", Violation.Kind.SCHEMA, null));
        }
        return new Run(doc).validate(map(doc.value()), null);
    }

    /**
     * Every violation of {@code object}: a creation when {@code old} is null, else an update from {@code old}
     * (transition rules run). Neither argument is modified.
     */
    public List<Violation> validate(Map<String, Object> object, Map<String, Object> old) {
        return new Run(null).validate(object, old);
    }

    /** One validation, collecting violations. */
    private final class Run {
        private final KubeYaml.Document doc;
        private final List<Violation> out = new ArrayList<>();
        private final Set<String> broken = new LinkedHashSet<>();

        Run(KubeYaml.Document doc) {
            this.doc = doc;
        }

        List<Violation> validate(Map<String, Object> object, Map<String, Object> old) {
            Map<String, Object> copy = map(deepCopy(object));
            structure(rootSchema, copy, "", true);
            Object typed = typed(rootSchema, copy);
            Object typedOld = old == null ? null : typed(rootSchema, deepCopy(old));
            celChecked(rootSchema, typed, typedOld, "");
            return out;
        }

        // ---- the structural schema ----

        private void structure(Map<String, Object> schema, Object value, String path, boolean root) {
            if (!typeMatches(schema, value)) {
                broken.add(path);
                schemaViolation(path, value, path + " must be " + typeName(schema) + " (got " + got(path, value) + ")"
                        + wordFix(path));
                return;
            }
            if (value instanceof Map<?, ?> m) {
                Map<String, Object> obj = map(m);
                obj.values().removeIf(Objects::isNull); // the API server drops nulls of non-nullable fields
                Map<String, Object> props = map(schema.getOrDefault("properties", Map.of()));
                boolean preserve = Boolean.TRUE.equals(schema.get("x-kubernetes-preserve-unknown-fields"));
                for (Map.Entry<String, Object> e : obj.entrySet()) {
                    String key = e.getKey();
                    String p = join(path, key);
                    if (root && key.equals("metadata")) {
                        metadata(e.getValue());
                    } else if (root && (ROOT_FIELDS.contains(key) || key.equals("status"))) {
                        continue; // apiVersion/kind are checked by the caller, status is ignored by the API server
                    } else if (props.containsKey(key)) {
                        structure(map(props.get(key)), e.getValue(), p, false);
                    } else if (schema.get("additionalProperties") instanceof Map<?, ?> ap) {
                        structure(map(ap), e.getValue(), p, false);
                    } else if (!preserve) {
                        Set<String> known = new TreeSet<>(props.keySet());
                        if (root) {
                            known.addAll(ROOT_FIELDS);
                        }
                        unknown(path, key, e.getValue(), known);
                    }
                }
                for (Object r : list(schema.getOrDefault("required", List.of()))) {
                    if (!obj.containsKey((String) r)) {
                        String p = join(path, (String) r);
                        broken.add(p); // rules reading it would only fail to evaluate
                        schemaViolation(p, null, p + " is required (missing)");
                    }
                }
            } else if (value instanceof List<?> l) {
                bound(path, l.size(), schema.get("minItems"), schema.get("maxItems"), "items", value);
                if (schema.get("items") instanceof Map<?, ?> items) {
                    for (int i = 0; i < l.size(); i++) {
                        if (l.get(i) == null) {
                            schemaViolation(path + "[" + i + "]", null, path + "[" + i + "] must be "
                                    + typeName(map(items)) + " (got null)");
                        } else {
                            structure(map(items), l.get(i), path + "[" + i + "]", false);
                        }
                    }
                }
            } else {
                scalar(schema, value, path);
            }
        }

        private void scalar(Map<String, Object> schema, Object value, String path) {
            if (schema.get("enum") instanceof List<?> allowed && !allowed.contains(value)) {
                schemaViolation(path, value, path + " must be one of " + allowed.stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")) + " (got " + got(path, value) + ")" + didYouMean(
                        String.valueOf(value), allowed.stream().map(String::valueOf).toList()));
            }
            if (value instanceof Number n && !(value instanceof Boolean)) {
                double d = n.doubleValue();
                if (schema.get("minimum") instanceof Number min) {
                    boolean excl = Boolean.TRUE.equals(schema.get("exclusiveMinimum"));
                    if (excl ? d <= min.doubleValue() : d < min.doubleValue()) {
                        schemaViolation(path, value, path + " must be " + (excl ? "> " : ">= ") + plain(min)
                                + " (got " + plain(n) + ")");
                    }
                }
                if (schema.get("maximum") instanceof Number max) {
                    boolean excl = Boolean.TRUE.equals(schema.get("exclusiveMaximum"));
                    if (excl ? d >= max.doubleValue() : d > max.doubleValue()) {
                        schemaViolation(path, value, path + " must be " + (excl ? "< " : "<= ") + plain(max)
                                + " (got " + plain(n) + ")");
                    }
                }
            }
            if (value instanceof String s) {
                bound(path, s.codePointCount(0, s.length()), schema.get("minLength"), schema.get("maxLength"),
                        "characters", value);
                if (schema.get("pattern") instanceof String re && !com.google.re2j.Pattern.compile(re).matcher(s).find()) {
                    schemaViolation(path, value, path + " must match " + re + " (got " + got(path, value) + ")");
                }
            }
        }

        private void bound(String path, int size, Object min, Object max, String what, Object value) {
            if (min instanceof Number m && size < m.longValue()) {
                schemaViolation(path, value, path + " must have at least " + m.longValue() + " " + what + " (got "
                        + size + ")");
            }
            if (max instanceof Number m && size > m.longValue()) {
                schemaViolation(path, value, path + " must have at most " + m.longValue() + " " + what + " (got "
                        + size + ")");
            }
        }

        private void metadata(Object meta) {
            if (!(meta instanceof Map<?, ?> m)) {
                schemaViolation("metadata", meta, "metadata must be a mapping (got " + got("metadata", meta) + ")");
                return;
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                if (!METADATA_FIELDS.contains(key)) {
                    unknown("metadata", key, e.getValue(), new TreeSet<>(METADATA_FIELDS));
                }
            }
            Object name = m.get("name");
            if (name != null && (!(name instanceof String s) || s.length() > 253 || !DNS_SUBDOMAIN.matcher(s).matches())) {
                schemaViolation("metadata.name", name, "metadata.name must be lowercase letters, digits, '-' and '.',"
                        + " starting and ending with a letter or digit, at most 253 characters (got "
                        + got("metadata.name", name) + ")" + wordFix("metadata.name"));
            }
        }

        private void unknown(String parent, String key, Object value, Set<String> known) {
            String p = join(parent, key);
            String like = closest(key, known);
            schemaViolation(p, describe(value), p + " is not a known field (got " + key + ": " + describe(value) + ")"
                    + (like == null ? "; " : ": did you mean " + like + "? ") + (parent.isEmpty() ? "the top level"
                    : parent) + " accepts: " + String.join(", ", known));
        }

        private void schemaViolation(String path, Object value, String message) {
            out.add(new Violation(path, value == null ? null : describe(value), message, Violation.Kind.SCHEMA,
                    line(path)));
        }

        /** The value as written, and for a YAML 1.1 word read as a boolean, what it was. */
        private String got(String path, Object value) {
            String word = doc == null ? null : doc.wordBools().get(path);
            if (word != null) {
                return "the boolean " + value + ": an unquoted " + word + " is a boolean for kubectl and the API server"
                        + " (YAML 1.1)";
            }
            return describe(value);
        }

        private String wordFix(String path) {
            String word = doc == null ? null : doc.wordBools().get(path);
            return word == null ? "" : "; write \"" + word + "\" in quotes";
        }

        private Integer line(String path) {
            return doc == null ? null : doc.lines().get(path);
        }

        // ---- the CEL rules ----

        private void evaluate(Map<String, Object> rule, Object value, Object old, String path) {
            String expr = (String) rule.get("rule");
            boolean transition = expr.contains("oldSelf");
            if (transition && old == null) {
                return;
            }
            Map<String, Object> vars = new LinkedHashMap<>();
            vars.put("self", value);
            if (transition) {
                vars.put("oldSelf", old);
            }
            String field = rule.get("fieldPath") instanceof String fp && !fp.isBlank()
                    ? path + (fp.startsWith(".") ? fp : "." + fp) : path;
            try {
                Object result = program(expr).eval(vars);
                if (!Boolean.TRUE.equals(result)) {
                    String got = referencedValues(expr, value, path);
                    out.add(new Violation(field, isScalar(value) ? describe(value) : null, messageOf(rule)
                            + (got.isEmpty() ? "" : " (got " + got + ")"), Violation.Kind.CEL, line(field)));
                }
            } catch (dev.cel.runtime.CelEvaluationException e) {
                out.add(new Violation(field, null, field + ": the rule `" + expr + "` could not be evaluated: "
                        + e.getMessage(), Violation.Kind.CEL, line(field)));
            }
        }

        private void descend(Map<String, Object> schema, Object value, Object old, String path) {
            if (value instanceof Map<?, ?> m && schema.get("properties") instanceof Map<?, ?> props) {
                for (Map.Entry<String, Object> p : map(props).entrySet()) {
                    Object child = m.get(p.getKey());
                    if (child != null && !(path.isEmpty() && p.getKey().equals("status"))) {
                        Object oldChild = old instanceof Map<?, ?> om ? om.get(p.getKey()) : null;
                        celChecked(map(p.getValue()), child, oldChild, join(path, p.getKey()));
                    }
                }
            } else if (value instanceof List<?> l && schema.get("items") instanceof Map<?, ?> items) {
                for (int i = 0; i < l.size(); i++) {
                    celChecked(map(items), l.get(i), null, path + "[" + i + "]");
                }
            } else if (value instanceof Map<?, ?> m && schema.get("additionalProperties") instanceof Map<?, ?> ap) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    celChecked(map(ap), e.getValue(), null, path + "." + e.getKey());
                }
            }
        }

        /** Runs the rules of a node; a rule that reads a field with the wrong type (or a missing required one) is skipped. */
        private void celChecked(Map<String, Object> schema, Object value, Object old, String path) {
            descend(schema, value, old, path);
            for (Object r : list(schema.getOrDefault("x-kubernetes-validations", List.of()))) {
                Map<String, Object> rule = map(r);
                if (!readsBroken((String) rule.get("rule"), path)) {
                    evaluate(rule, value, old, path);
                }
            }
        }

        /**
         * Whether a rule at {@code path} reads a broken field. The API server skips every rule then; skipping only
         * those that would fail gives the same verdict (rejected) and reports the other rules' problems at once.
         */
        private boolean readsBroken(String expr, String path) {
            if (broken.isEmpty()) {
                return false;
            }
            List<String> reads = new ArrayList<>();
            if (BARE_SELF.matcher(expr).find() || expr.contains("oldSelf")) {
                reads.add(path);
            }
            Matcher m = SELF_REF.matcher(expr);
            while (m.find()) {
                reads.add(path + m.group(1));
            }
            for (String b : broken) {
                for (String r : reads) {
                    String rr = r.startsWith(".") ? r.substring(1) : r;
                    if (rr.isEmpty() || b.equals(rr) || b.startsWith(rr + ".") || b.startsWith(rr + "[")
                            || rr.startsWith(b + ".")) {
                        return true;
                    }
                    // self.features.exists(...): the list's items are read too
                    for (int dot = rr.indexOf('.'); dot > 0; dot = rr.indexOf('.', dot + 1)) {
                        if (b.startsWith(rr.substring(0, dot) + "[")) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }
    }

    private static boolean isScalar(Object v) {
        return !(v instanceof Map<?, ?>) && !(v instanceof List<?>);
    }

    /** "spec.schedule.minLearningRate=0.005, spec.optimizer.learningRate=0.003": the scalars a rule reads. */
    private static String referencedValues(String expr, Object self, String path) {
        if (isScalar(self)) {
            return describe(self);
        }
        Set<String> seen = new LinkedHashSet<>();
        List<String> parts = new ArrayList<>();
        Matcher m = SELF_REF.matcher(expr);
        while (m.find()) {
            Object v = self;
            StringBuilder p = new StringBuilder(path);
            for (String seg : m.group(1).substring(1).split("\\.")) {
                if (!(v instanceof Map<?, ?> mm) || !mm.containsKey(seg)) {
                    break;
                }
                v = mm.get(seg);
                p.append(p.length() == 0 ? "" : ".").append(seg);
            }
            if (v != self && isScalar(v) && seen.add(p.toString())) {
                parts.add(p + "=" + describe(v));
            }
        }
        return String.join(", ", parts);
    }

    private CelRuntime.Program program(String expr) {
        return programs.computeIfAbsent(expr, e -> {
            try {
                CelAbstractSyntaxTree ast = COMPILER.compile(e).getAst();
                return RUNTIME.createProgram(ast);
            } catch (Exception ex) {
                throw new IllegalStateException("the CRD's CEL rule does not compile here: " + e + ": "
                        + ex.getMessage(), ex);
            }
        });
    }

    // ---- types ----

    private static boolean typeMatches(Map<String, Object> schema, Object v) {
        if (Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string"))) {
            return v instanceof String || isInteger(v);
        }
        Object type = schema.get("type");
        if (type == null) {
            return true;
        }
        return switch ((String) type) {
            case "object" -> v instanceof Map<?, ?>;
            case "array" -> v instanceof List<?>;
            case "string" -> v instanceof String;
            case "integer" -> isInteger(v);
            case "number" -> v instanceof Number;
            case "boolean" -> v instanceof Boolean;
            default -> true;
        };
    }

    private static boolean isInteger(Object v) {
        return v instanceof Long || v instanceof Integer || v instanceof BigInteger
                || v instanceof Double d && Double.isFinite(d) && d == Math.rint(d);
    }

    private static String typeName(Map<String, Object> schema) {
        if (Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string"))) {
            return "an integer or a string";
        }
        return switch (String.valueOf(schema.get("type"))) {
            case "object" -> "a mapping";
            case "array" -> "a list";
            case "string" -> "a string";
            case "integer" -> "an integer";
            case "number" -> "a number";
            case "boolean" -> "true or false";
            default -> String.valueOf(schema.get("type"));
        };
    }

    /**
     * A copy typed as the API server's CEL sees it: defaults applied, integer -> Long, number -> Double (after the
     * structural check, so the types fit; misfits are left as they are and their rules skipped).
     */
    private static Object typed(Map<String, Object> schema, Object value) {
        Object v = value;
        if ("number".equals(schema.get("type")) && v instanceof Number n) {
            v = n.doubleValue();
        } else if (("integer".equals(schema.get("type")) || Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string")))
                && v instanceof Number n && isInteger(n)) {
            v = n.longValue();
        }
        if (v instanceof Map<?, ?> m && schema.get("properties") instanceof Map<?, ?> props) {
            Map<String, Object> obj = new LinkedHashMap<>(map(m));
            obj.values().removeIf(Objects::isNull);
            for (Map.Entry<String, Object> p : map(props).entrySet()) {
                Map<String, Object> ps = map(p.getValue());
                if (!obj.containsKey(p.getKey()) && ps.containsKey("default")) {
                    obj.put(p.getKey(), deepCopy(ps.get("default")));
                }
                if (obj.containsKey(p.getKey())) {
                    obj.put(p.getKey(), typed(ps, obj.get(p.getKey())));
                }
            }
            if (!Boolean.TRUE.equals(schema.get("x-kubernetes-preserve-unknown-fields"))
                    && !(schema.get("additionalProperties") instanceof Map<?, ?>)) {
                obj.keySet().removeIf(k -> !map(props).containsKey(k) && !ROOT_FIELDS.contains(k)); // pruned
            }
            return obj;
        }
        if (v instanceof Map<?, ?> m && schema.get("additionalProperties") instanceof Map<?, ?> ap) {
            Map<String, Object> obj = new LinkedHashMap<>();
            m.forEach((k, x) -> obj.put(String.valueOf(k), typed(map(ap), x)));
            return obj;
        }
        if (v instanceof List<?> l && schema.get("items") instanceof Map<?, ?> items) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) {
                out.add(typed(map(items), x));
            }
            return out;
        }
        return v;
    }

    // ---- text ----

    private static String messageOf(Map<String, Object> rule) {
        Object m = rule.get("message");
        return m instanceof String s && !s.isBlank() ? s : "failed rule: " + rule.get("rule");
    }

    private static String didYouMean(String given, java.util.Collection<String> known) {
        String c = closest(given, known);
        return c == null ? "" : ": did you mean " + c + "?";
    }

    /** The known name closest to {@code given} (a typo or a case slip), or null when nothing is close. */
    static String closest(String given, java.util.Collection<String> known) {
        String best = known.stream()
                .filter(k -> k.equalsIgnoreCase(given) || distance(k.toLowerCase(), given.toLowerCase())
                        <= Math.max(2, Math.min(k.length(), given.length()) / 3))
                .min(Comparator.comparingInt(k -> distance(k.toLowerCase(), given.toLowerCase())))
                .orElse(null);
        return best == null || best.equals(given) ? null : best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** A value as a user wrote it, shortened: strings bare, numbers plain, mappings and lists as JSON-ish text. */
    static String describe(Object v) {
        String s;
        if (v == null) {
            s = "null";
        } else if (v instanceof Number n) {
            s = plain(n);
        } else if (v instanceof Map<?, ?> || v instanceof List<?>) {
            s = String.valueOf(v).replace("=", ": ");
        } else {
            s = String.valueOf(v);
        }
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    private static String plain(Number n) {
        if (n instanceof Double d) {
            if (!Double.isFinite(d)) {
                return d.toString();
            }
            String s = Double.toString(d);
            return s.contains("E") ? s.replace("E", "e") : new BigDecimal(s).stripTrailingZeros().toPlainString();
        }
        return n.toString();
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static Object deepCopy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> c = new LinkedHashMap<>();
            m.forEach((k, x) -> c.put(String.valueOf(k), deepCopy(x)));
            return c;
        }
        if (v instanceof List<?> l) {
            List<Object> c = new ArrayList<>();
            l.forEach(x -> c.add(deepCopy(x)));
            return c;
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }
}
