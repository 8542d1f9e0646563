package dev.annealer.api;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small stand-in for the API server's CRD validation, for unit tests: it walks an object along the CRD's
 * openAPIV3Schema, applies the schema's {@code default}s, converts numbers to the schema's type (integer -> long,
 * number -> double, as the API server's CEL does), and evaluates every {@code x-kubernetes-validations} rule.
 * Transition rules (those that use {@code oldSelf}) run only when an old object is given, and only where the old
 * object has the same node. It does not check OpenAPI keywords (minimum, enum, ...) or CEL cost: the real-API-server
 * test does.
 */
final class CelRules {

    /** One rule of the CRD, where it sits, and its message. */
    record Rule(String path, String expression, String message) {
    }

    /** A rule that rejected a node (or failed to evaluate). */
    record Violation(String path, String message) {
    }

    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("self", SimpleType.DYN)
            .addVar("oldSelf", SimpleType.DYN)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    private final Map<String, Object> rootSchema;
    private final Map<String, CelRuntime.Program> programs = new LinkedHashMap<>();

    CelRules(Map<String, Object> crd) {
        this.rootSchema = map(map(map(list(map(crd.get("spec")).get("versions")).get(0)).get("schema")).get("openAPIV3Schema"));
    }

    /** Every rule of the schema, depth first (path like {@code spec.schedule.cycles[*].warmup}). */
    List<Rule> rules() {
        List<Rule> out = new ArrayList<>();
        collect(rootSchema, "", out);
        return out;
    }

    private static void collect(Map<String, Object> schema, String path, List<Rule> out) {
        for (Object r : list(schema.getOrDefault("x-kubernetes-validations", List.of()))) {
            Map<String, Object> rule = map(r);
            out.add(new Rule(path, (String) rule.get("rule"), (String) rule.get("message")));
        }
        for (Map.Entry<String, Object> p : map(schema.getOrDefault("properties", Map.of())).entrySet()) {
            collect(map(p.getValue()), path.isEmpty() ? p.getKey() : path + "." + p.getKey(), out);
        }
        if (schema.get("items") != null) {
            collect(map(schema.get("items")), path + "[*]", out);
        }
    }

    /**
     * Validates {@code object} (a creation when {@code old} is null, else an update from {@code old}); the object is
     * defaulted in place like the API server does before validation.
     */
    List<Violation> validate(Map<String, Object> object, Map<String, Object> old) {
        List<Violation> out = new ArrayList<>();
        Object typed = walk(rootSchema, object, old, "", out);
        if (typed == null) {
            throw new IllegalStateException("no object");
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private Object walk(Map<String, Object> schema, Object value, Object old, String path, List<Violation> out) {
        Object typed = convert(schema, value);
        if (typed instanceof Map<?, ?> m && schema.get("properties") != null) {
            Map<String, Object> obj = (Map<String, Object>) m;
            for (Map.Entry<String, Object> p : map(schema.get("properties")).entrySet()) {
                Map<String, Object> ps = map(p.getValue());
                if (!obj.containsKey(p.getKey()) && ps.containsKey("default")) {
                    obj.put(p.getKey(), deepCopy(ps.get("default")));
                }
                if (obj.containsKey(p.getKey())) {
                    Object oldChild = old instanceof Map<?, ?> om ? om.get(p.getKey()) : null;
                    obj.put(p.getKey(), walk(ps, obj.get(p.getKey()), oldChild, path.isEmpty() ? p.getKey()
                            : path + "." + p.getKey(), out));
                }
            }
        } else if (typed instanceof List<?> l && schema.get("items") != null) {
            List<Object> items = (List<Object>) l;
            for (int i = 0; i < items.size(); i++) {
                items.set(i, walk(map(schema.get("items")), items.get(i), null, path + "[" + i + "]", out));
            }
        } else if (typed instanceof Map<?, ?> m && schema.get("additionalProperties") instanceof Map<?, ?> ap) {
            Map<String, Object> obj = (Map<String, Object>) m;
            for (Map.Entry<String, Object> e : obj.entrySet()) {
                e.setValue(walk((Map<String, Object>) ap, e.getValue(), null, path + "." + e.getKey(), out));
            }
        }
        Object typedOld = old == null ? null : convertDeep(schema, old);
        for (Object r : list(schema.getOrDefault("x-kubernetes-validations", List.of()))) {
            Map<String, Object> rule = map(r);
            String expr = (String) rule.get("rule");
            boolean transition = expr.contains("oldSelf");
            if (transition && typedOld == null) {
                continue;
            }
            Map<String, Object> vars = new LinkedHashMap<>();
            vars.put("self", typed);
            if (transition) {
                vars.put("oldSelf", typedOld);
            }
            try {
                Object result = program(expr).eval(vars);
                if (!Boolean.TRUE.equals(result)) {
                    out.add(new Violation(path, (String) rule.get("message")));
                }
            } catch (Exception e) {
                out.add(new Violation(path, "CEL evaluation error in rule `" + expr + "`: " + e.getMessage()));
            }
        }
        return typed;
    }

    private CelRuntime.Program program(String expr) {
        return programs.computeIfAbsent(expr, e -> {
            try {
                CelAbstractSyntaxTree ast = COMPILER.compile(e).getAst();
                return RUNTIME.createProgram(ast);
            } catch (Exception ex) {
                throw new IllegalStateException("CEL rule does not compile: " + e + ": " + ex.getMessage(), ex);
            }
        });
    }

    /** Compiles every rule (a syntax or type error fails here, not at apply time). */
    void compileAll() {
        for (Rule r : rules()) {
            program(r.expression());
        }
    }

    private Object convertDeep(Map<String, Object> schema, Object value) {
        Object v = convert(schema, deepCopy(value));
        if (v instanceof Map<?, ?> m && schema.get("properties") != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> obj = (Map<String, Object>) m;
            for (Map.Entry<String, Object> p : map(schema.get("properties")).entrySet()) {
                Map<String, Object> ps = map(p.getValue());
                if (!obj.containsKey(p.getKey()) && ps.containsKey("default")) {
                    obj.put(p.getKey(), deepCopy(ps.get("default")));
                }
                if (obj.containsKey(p.getKey())) {
                    obj.put(p.getKey(), convertDeep(ps, obj.get(p.getKey())));
                }
            }
        } else if (v instanceof List<?> l && schema.get("items") != null) {
            List<Object> items = new ArrayList<>();
            for (Object o : l) {
                items.add(convertDeep(map(schema.get("items")), o));
            }
            v = items;
        } else if (v instanceof Map<?, ?> m && schema.get("additionalProperties") instanceof Map<?, ?> ap) {
            @SuppressWarnings("unchecked")
            Map<String, Object> obj = (Map<String, Object>) m;
            for (Map.Entry<String, Object> e : obj.entrySet()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> aps = (Map<String, Object>) ap;
                e.setValue(convertDeep(aps, e.getValue()));
            }
        }
        return v;
    }

    private static Object convert(Map<String, Object> schema, Object value) {
        Object type = schema.get("type");
        if ("number".equals(type) && value instanceof Number n) {
            return n.doubleValue();
        }
        if ("integer".equals(type) && value instanceof Number n) {
            return n.longValue();
        }
        if (Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string")) && value instanceof Number n) {
            return n.longValue();
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    static Object deepCopy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> c = new LinkedHashMap<>();
            m.forEach((k, x) -> c.put((String) k, deepCopy(x)));
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
