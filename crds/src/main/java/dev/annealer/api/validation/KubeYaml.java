package dev.annealer.api.validation;

import dev.annealer.api.ManifestException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads YAML the way kubectl and the API server do (sigs.k8s.io/yaml, YAML 1.1 scalars), into plain JSON-like values:
 * {@code Map}, {@code List}, {@code String}, {@code Long}/{@code BigInteger}, {@code Double}, {@code Boolean}, null.
 *
 * <p>An unquoted {@code y}, {@code yes}, {@code on}, {@code n}, {@code no}, {@code off} (any case variant YAML 1.1
 * allows) is a boolean, as it is for kubectl; timestamps stay strings; a duplicate key is an error. Each document
 * remembers the line of every node and which booleans were written as such a word, so that a message can say
 * "an unquoted y at line 20". A key given twice keeps its last value, as kubectl does, with a warning.
 */
public final class KubeYaml {

    /** Plain scalars YAML 1.1 (kubectl) reads as true / false; {@code true}/{@code false} themselves excluded. */
    static final Set<String> YAML11_TRUE = Set.of("y", "Y", "yes", "Yes", "YES", "on", "On", "ON");
    static final Set<String> YAML11_FALSE = Set.of("n", "N", "no", "No", "NO", "off", "Off", "OFF");
    private static final Set<String> TRUE = Set.of("true", "True", "TRUE");
    private static final Set<String> FALSE = Set.of("false", "False", "FALSE");
    private static final Set<String> NULL = Set.of("", "~", "null", "Null", "NULL");
    private static final Pattern INT = Pattern.compile("[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*)");
    private static final Pattern FLOAT = Pattern.compile(
            "[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?");
    private static final Pattern INF = Pattern.compile("[-+]?\\.(inf|Inf|INF)");
    private static final Pattern NAN = Pattern.compile("\\.(nan|NaN|NAN)");

    /**
     * One YAML document.
     *
     * @param value     the document as plain values
     * @param lines     1-based line of each node, by field path ({@code spec.data.label}, {@code spec.betas[1]})
     * @param wordBools the YAML 1.1 words read as booleans, by field path ({@code spec.data.label -> y})
     * @param warnings  what kubectl accepts but a reader may not expect (a key given twice: the last one counts)
     */
    public record Document(Object value, Map<String, Integer> lines, Map<String, String> wordBools,
                           List<String> warnings) {
    }

    private KubeYaml() {
    }

    /**
     * Decodes UTF-8 strictly: a file in another encoding is refused with the offset of the first bad byte, e.g.
     * {@code job.yaml: not UTF-8 text at byte 1234 (0xE9): save the file as UTF-8}.
     */
    public static String decodeUtf8(byte[] bytes, String source) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            throw new ManifestException(source, null, null, source + ": not UTF-8 text at byte " + at + " (0x"
                    + String.format(Locale.ROOT, "%02X", bytes[at] & 0xff) + ", line " + lineAt(bytes, at)
                    + "): save the file as UTF-8 (a manifest is UTF-8 for kubectl and the API server too)");
        }
        d.flush(out);
        out.flip();
        String s = out.toString();
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    private static int lineAt(byte[] bytes, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
            }
        }
        return line;
    }

    /** Every document of a YAML stream (empty documents skipped); a syntax error names the line. */
    public static List<Document> parseAll(String text, String source) {
        List<Document> docs = new ArrayList<>();
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(true); // reported below, with the path
            for (Node n : new Yaml(options).composeAll(new StringReader(text))) {
                if (n == null) {
                    continue;
                }
                Map<String, Integer> lines = new HashMap<>();
                Map<String, String> words = new LinkedHashMap<>();
                List<String> warnings = new ArrayList<>();
                Object v = convert(n, "", lines, words, warnings, source, new IdentityHashMap<>());
                if (v != null) {
                    docs.add(new Document(v, lines, words, List.copyOf(warnings)));
                }
            }
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ManifestException(source, null, null, source + ": not valid YAML" + (line > 0 ? " at line " + line
                    : "") + ": " + e.getProblem(), e);
        } catch (YAMLException e) {
            throw new ManifestException(source, null, null, source + ": not valid YAML: " + e.getMessage(), e);
        }
        return docs;
    }

    private static Object convert(Node node, String path, Map<String, Integer> lines, Map<String, String> words,
                                  List<String> warnings, String source, IdentityHashMap<Node, Boolean> open) {
        lines.putIfAbsent(path, node.getStartMark().getLine() + 1);
        if (open.containsKey(node)) {
            throw new ManifestException(source, path, null, source + ": " + path + ": a recursive YAML alias cannot be"
                    + " converted to JSON");
        }
        if (node instanceof MappingNode m) {
            open.put(node, true);
            Map<String, Object> out = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                Object k = t.getKeyNode() instanceof ScalarNode ks ? scalar(ks) : null;
                if (k == null && t.getKeyNode() instanceof ScalarNode ks) {
                    k = ks.getValue();
                }
                if (!(k instanceof String || k instanceof Number || k instanceof Boolean)) {
                    throw new ManifestException(source, path, null, source + ": " + (path.isEmpty() ? "" : path + ": ")
                            + "a mapping key must be a plain value (line " + (t.getKeyNode().getStartMark().getLine() + 1)
                            + ")");
                }
                String key = String.valueOf(k);
                String p = path.isEmpty() ? key : path + "." + key;
                if (out.containsKey(key)) {
                    int first = lines.getOrDefault(p, 0);
                    int again = t.getKeyNode().getStartMark().getLine() + 1;
                    warnings.add(source + ":" + again + ": " + p + " is given twice (lines " + first + " and " + again
                            + "): kubectl keeps the last one; remove the other");
                    out.remove(key);
                    lines.remove(p);
                }
                out.put(key, convert(t.getValueNode(), p, lines, words, warnings, source, open));
            }
            open.remove(node);
            return out;
        }
        if (node instanceof SequenceNode sq) {
            open.put(node, true);
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < sq.getValue().size(); i++) {
                out.add(convert(sq.getValue().get(i), path + "[" + i + "]", lines, words, warnings, source, open));
            }
            open.remove(node);
            return out;
        }
        ScalarNode s = (ScalarNode) node;
        Object v = scalar(s);
        if (v instanceof Boolean && s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN
                && (YAML11_TRUE.contains(s.getValue()) || YAML11_FALSE.contains(s.getValue()))) {
            words.put(path, s.getValue());
        }
        return v;
    }

    /** A scalar as sigs.k8s.io/yaml resolves it: quoted is a string, plain is null, bool, int, float or string. */
    private static Object scalar(ScalarNode s) {
        String v = s.getValue();
        if (s.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN) {
            return v;
        }
        if (NULL.contains(v)) {
            return null;
        }
        if (TRUE.contains(v) || YAML11_TRUE.contains(v)) {
            return Boolean.TRUE;
        }
        if (FALSE.contains(v) || YAML11_FALSE.contains(v)) {
            return Boolean.FALSE;
        }
        if (INT.matcher(v).matches()) {
            return integer(v);
        }
        if (FLOAT.matcher(v).matches()) {
            return jsonNumber(Double.parseDouble(v.replace("_", "")));
        }
        if (INF.matcher(v).matches()) {
            return v.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (NAN.matcher(v).matches()) {
            return Double.NaN;
        }
        return v;
    }

    /**
     * kubectl sends YAML as JSON, and Go writes a whole float without a fraction ({@code 2000.0} -> {@code 2000}), so
     * the API server sees an integer: do the same.
     */
    private static Object jsonNumber(double d) {
        if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 1e21) {
            BigInteger b = new java.math.BigDecimal(d).toBigInteger();
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        return d;
    }

    private static Object integer(String raw) {
        String v = raw.replace("_", "");
        boolean neg = v.startsWith("-");
        if (v.startsWith("-") || v.startsWith("+")) {
            v = v.substring(1);
        }
        int radix = 10;
        if (v.startsWith("0b")) {
            radix = 2;
            v = v.substring(2);
        } else if (v.startsWith("0x")) {
            radix = 16;
            v = v.substring(2);
        } else if (v.startsWith("0o")) {
            radix = 8;
            v = v.substring(2);
        } else if (v.length() > 1 && v.startsWith("0")) {
            radix = 8;
            v = v.substring(1);
        }
        BigInteger b = new BigInteger(v, radix);
        if (neg) {
            b = b.negate();
        }
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }
}
