package dev.annealer.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Renders docs/reference/finetunejob.md from the generated CRD (not from the Java classes), so the reference says
 * exactly what the API server enforces: every field with its type, default, bounds and description, and every CEL
 * rule with its message.
 */
final class ReferenceDoc {

    private ReferenceDoc() {
    }

    static String render(JsonNode crd) {
        JsonNode version = crd.at("/spec/versions/0");
        JsonNode root = version.at("/schema/openAPIV3Schema");
        StringBuilder md = new StringBuilder();
        md.append("<!-- Generated from crds/").append(Generated.CRD_FILE).append(" by crds/src/test/java/dev/annealer/api/")
                .append("ReferenceDoc.java; do not edit. Regenerate: ").append(Generated.REGENERATE_COMMAND).append(" -->\n\n");
        md.append("# FineTuneJob reference (`").append(crd.at("/spec/group").asText()).append('/')
                .append(version.get("name").asText()).append("`)\n\n");
        md.append("| | |\n| --- | --- |\n");
        md.append("| kind | `").append(crd.at("/spec/names/kind").asText()).append("` |\n");
        md.append("| plural / singular | `").append(crd.at("/spec/names/plural").asText()).append("` / `")
                .append(crd.at("/spec/names/singular").asText()).append("` |\n");
        md.append("| short names | ").append(join(crd.at("/spec/names/shortNames"))).append(" |\n");
        md.append("| scope | ").append(crd.at("/spec/scope").asText()).append(" |\n");
        md.append("| subresources | ").append(String.join(", ", names(version.get("subresources")))).append(" |\n\n");
        md.append("What changes after a job has started, and how changes are handled: see [changes.md](changes.md). ")
                .append("The learning-rate schedule's meaning: [../concepts/schedule-contract.md](../concepts/schedule-contract.md).\n\n");

        md.append("## `kubectl get ftj` columns\n\n| column | JSON path | type | description |\n| --- | --- | --- | --- |\n");
        for (JsonNode c : version.get("additionalPrinterColumns")) {
            md.append("| ").append(c.get("name").asText()).append(" | `").append(c.get("jsonPath").asText()).append("` | ")
                    .append(c.get("type").asText()).append(" | ").append(cell(c.path("description").asText(""))).append(" |\n");
        }
        md.append('\n');

        List<String[]> rules = new ArrayList<>();
        collectRules(root, "", rules);
        for (String top : List.of("spec", "status")) {
            md.append("## `").append(top).append("`\n\n");
            md.append(cell(root.at("/properties/" + top + "/description").asText())).append("\n\n");
            md.append("| field | type | default | constraints | description |\n| --- | --- | --- | --- | --- |\n");
            fields(root.at("/properties/" + top), top, md, requiredOf(root).contains(top));
            md.append('\n');
        }

        md.append("## Validation rules (CEL, `x-kubernetes-validations`)\n\n");
        md.append("Checked by the API server on create and update; each has a minimal failing manifest in ")
                .append("`crds/src/test/resources/cel-cases/`. Rules that use `oldSelf` are transition rules (updates only).\n\n");
        md.append("| where | rule | message |\n| --- | --- | --- |\n");
        for (String[] r : rules) {
            md.append("| `").append(r[0].isEmpty() ? "(object)" : r[0]).append("` | `").append(r[1].replace("|", "\\|"))
                    .append("` | ").append(cell(r[2])).append(" |\n");
        }
        return md.toString();
    }

    private static void fields(JsonNode schema, String path, StringBuilder md, boolean required) {
        JsonNode props = schema.get("properties");
        if (props == null) {
            return;
        }
        List<String> req = requiredOf(schema);
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = path + "." + e.getKey();
            JsonNode s = e.getValue();
            md.append("| `").append(p).append("`").append(req.contains(e.getKey()) ? " **(required)**" : "").append(" | ")
                    .append(type(s)).append(" | ").append(s.has("default") ? "`" + s.get("default").toString().replace("\"", "") + "`" : "")
                    .append(" | ").append(constraints(s)).append(" | ").append(cell(s.path("description").asText(""))).append(" |\n");
            JsonNode child = s.has("items") ? s.get("items") : s;
            fields(child, s.has("items") ? p + "[]" : p, md, req.contains(e.getKey()));
        }
    }

    private static String type(JsonNode s) {
        if (s.path("x-kubernetes-int-or-string").asBoolean()) {
            return "quantity (int or string)";
        }
        String t = s.path("type").asText("");
        if (t.equals("array")) {
            return "list of " + type(s.get("items"));
        }
        if (t.equals("object") && s.has("additionalProperties")) {
            return "map of " + type(s.get("additionalProperties"));
        }
        if (s.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
            return "object (passed through)";
        }
        return t;
    }

    private static String constraints(JsonNode s) {
        List<String> c = new ArrayList<>();
        if (s.has("enum")) {
            c.add("one of " + join(s.get("enum")));
        }
        if (s.has("minimum")) {
            c.add((s.path("exclusiveMinimum").asBoolean() ? "> " : ">= ") + num(s.get("minimum")));
        }
        if (s.has("maximum")) {
            c.add((s.path("exclusiveMaximum").asBoolean() ? "< " : "<= ") + num(s.get("maximum")));
        }
        if (s.has("minLength")) {
            c.add("length >= " + s.get("minLength").asText());
        }
        if (s.has("maxLength")) {
            c.add("length <= " + s.get("maxLength").asText());
        }
        if (s.has("minItems")) {
            c.add("items >= " + s.get("minItems").asText());
        }
        if (s.has("maxItems")) {
            c.add("items <= " + s.get("maxItems").asText());
        }
        if (s.has("pattern")) {
            c.add("matches `" + s.get("pattern").asText() + "`");
        }
        if (s.has("x-kubernetes-validations")) {
            c.add("CEL: " + s.get("x-kubernetes-validations").size() + " rule(s)");
        }
        return String.join("; ", c);
    }

    private static String num(JsonNode n) {
        double d = n.asDouble();
        return d == Math.rint(d) ? String.valueOf((long) d) : n.asText();
    }

    private static void collectRules(JsonNode schema, String path, List<String[]> out) {
        for (JsonNode r : schema.path("x-kubernetes-validations")) {
            out.add(new String[] {path, r.get("rule").asText(), r.get("message").asText()});
        }
        JsonNode props = schema.get("properties");
        if (props != null) {
            props.fields().forEachRemaining(e -> collectRules(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out));
        }
        if (schema.has("items")) {
            collectRules(schema.get("items"), path + "[]", out);
        }
    }

    private static List<String> requiredOf(JsonNode s) {
        List<String> r = new ArrayList<>();
        s.path("required").forEach(n -> r.add(n.asText()));
        return r;
    }

    private static List<String> names(JsonNode n) {
        List<String> r = new ArrayList<>();
        if (n != null) {
            n.fieldNames().forEachRemaining(r::add);
        }
        return r;
    }

    private static String join(JsonNode arr) {
        List<String> r = new ArrayList<>();
        arr.forEach(n -> r.add("`" + n.asText() + "`"));
        return String.join(", ", r);
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;");
    }
}
