package dev.annealer.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.validation.CrdValidator;
import dev.annealer.api.validation.KubeYaml;
import dev.annealer.api.validation.Violation;
import io.fabric8.generator.annotation.Required;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads and writes FineTuneJob manifests (YAML or JSON) outside the cluster: the trainer's {@code -f job.yaml}, the
 * CLI, and tests.
 *
 * <p>{@link #read(Path)} gives the API server's verdict: it reads YAML as kubectl does ({@link KubeYaml}: an unquoted
 * {@code y} is a boolean) and validates against the CRD's schema and CEL rules ({@link CrdValidator}), saying what is
 * wrong with the file, the field path, the value and the fix, e.g.
 * {@code job.yaml: spec.optimizer.type must be one of AdamW, SGD (got Adam)}. The schedule engine's own validation
 * is {@link JobSchedules}.
 */
public final class FineTuneJobs {

    private static final ObjectMapper MAPPER = newMapper();
    private static final java.util.regex.Pattern QUANTITY =
            java.util.regex.Pattern.compile(dev.annealer.api.v1alpha1.Sources.QUANTITY_PATTERN);

    private FineTuneJobs() {
    }

    /** A YAML mapper configured like the API server's decoding: strict, and writing without nulls or doc markers. */
    public static ObjectMapper newMapper() {
        return YAMLMapper.builder(YAMLFactory.builder()
                        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                        .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                        .build())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .build();
    }

    /** The shared mapper (thread-safe once configured). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Reads a FineTuneJob from a YAML (or JSON) file, which must be UTF-8. */
    public static FineTuneJob read(Path file) {
        return parse(readText(file), file.toString());
    }

    /** The text of a manifest file: UTF-8 (else "not UTF-8 text at byte N"), a missing file said plainly. */
    public static String readText(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ManifestException(file.toString(), null, null, file + ": no such file");
        } catch (IOException e) {
            throw new ManifestException(file.toString(), null, null, file + ": cannot read: " + e.getMessage(), e);
        }
        return KubeYaml.decodeUtf8(bytes, file.toString());
    }

    /**
     * Parses a FineTuneJob from YAML (or JSON) text; {@code source} names it in messages (a file name). The text is
     * read as kubectl reads it and validated against the CRD ({@link CrdValidator}: schema and CEL rules), so it is
     * accepted exactly when the API server would accept it; else an {@link InvalidManifestException} lists every
     * violation.
     */
    public static FineTuneJob parse(String text, String source) {
        List<KubeYaml.Document> docs = KubeYaml.parseAll(text, source);
        if (docs.isEmpty()) {
            throw new ManifestException(source, null, null, source + ": empty manifest: expected a FineTuneJob "
                    + "(apiVersion: " + FineTuneJob.API_VERSION + ", kind: " + FineTuneJob.KIND + ")");
        }
        if (docs.size() > 1) {
            throw new ManifestException(source, null, null, source + ": holds " + docs.size() + " YAML documents: "
                    + "give one FineTuneJob per file");
        }
        KubeYaml.Document doc = docs.get(0);
        JsonNode tree = MAPPER.valueToTree(doc.value());
        if (!tree.isObject()) {
            throw new ManifestException(source, null, tree.toString(), source
                    + ": a manifest must be a mapping with apiVersion, kind, metadata and spec (got " + shortText(tree) + ")");
        }
        checkHeader(tree, "apiVersion", FineTuneJob.API_VERSION, source);
        checkHeader(tree, "kind", FineTuneJob.KIND, source);
        List<Violation> violations = CrdValidator.fineTuneJob().validate(doc);
        if (!violations.isEmpty()) {
            throw new InvalidManifestException(source, violations);
        }
        FineTuneJob job;
        try {
            job = MAPPER.treeToValue(tree, FineTuneJob.class);
        } catch (JsonMappingException e) {
            throw describe(e, tree, source);
        } catch (JsonProcessingException e) {
            throw new ManifestException(source, null, null, source + ": " + e.getOriginalMessage(), e);
        }
        if (job.getSpec() == null) {
            throw new ManifestException(source, "spec", null, source + ": spec is required (missing)");
        }
        checkRequired(job.getSpec(), "spec", source);
        return job;
    }

    /** Writes a FineTuneJob as YAML (no nulls, status included when set). */
    public static String toYaml(Object jobOrPart) {
        try {
            return MAPPER.writeValueAsString(jobOrPart);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + jobOrPart.getClass().getSimpleName(), e);
        }
    }

    private static void checkHeader(JsonNode tree, String key, String expected, String source) {
        JsonNode v = tree.get(key);
        if (v == null) {
            throw new ManifestException(source, key, null,
                    source + ": " + key + " is required (missing): expected " + key + ": " + expected);
        }
        if (!v.isTextual() || !v.asText().equals(expected)) {
            throw new ManifestException(source, key, v.asText(),
                    source + ": " + key + " must be " + expected + " (got " + shortText(v) + ")");
        }
    }

    private static ManifestException describe(JsonMappingException e, JsonNode tree, String source) {
        String path = path(e.getPath());
        String at = where(e.getLocation());
        if (e instanceof UnrecognizedPropertyException u) {
            String parent = parentPath(e.getPath());
            JsonNode value = lookup(tree, e.getPath());
            String accepted = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(Object::toString).collect(Collectors.toCollection(TreeSet::new)).stream()
                    .collect(Collectors.joining(", "));
            return new ManifestException(source, path, value == null ? null : value.toString(), source + ": "
                    + path + " is not a known field" + at + " (got " + u.getPropertyName() + ": " + shortText(value)
                    + "); " + (parent.isEmpty() ? "the top level" : parent) + " accepts: " + accepted, e);
        }
        JsonNode value = lookup(tree, e.getPath());
        String got = shortText(value);
        if (e instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
            return new ManifestException(source, path, got, source + ": " + path + " must be one of "
                    + enumValues(f.getTargetType()) + " (got " + got + ")" + at, e);
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return new ManifestException(source, path, got, source + ": " + path + " must be "
                    + describeType(m.getTargetType()) + " (got " + got + ")" + at, e);
        }
        return new ManifestException(source, path, got, source + ": " + (path.isEmpty() ? "" : path + ": ")
                + e.getOriginalMessage() + at, e);
    }

    private static String describeType(Class<?> t) {
        if (t.isEnum()) {
            return "one of " + enumValues(t);
        }
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "an integer";
        }
        if (t == Double.class || t == double.class || t == Float.class) {
            return "a number";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(t) || Collection.class.isAssignableFrom(t) || t.isArray()) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(t)) {
            return "a mapping";
        }
        if (t.getName().equals("io.fabric8.kubernetes.api.model.Quantity")) {
            return "a Kubernetes quantity such as 8, 500m or 32Gi";
        }
        return "a mapping (" + t.getSimpleName() + ")";
    }

    private static String enumValues(Class<?> enumType) {
        List<String> names = new ArrayList<>();
        for (Object c : enumType.getEnumConstants()) {
            names.add(MAPPER.convertValue(c, String.class));
        }
        return String.join(", ", names);
    }

    /** Every @Required field of the model, recursively, must be present. */
    private static void checkRequired(Object node, String path, String source) {
        if (node == null || !node.getClass().getPackageName().equals(FineTuneJob.class.getPackageName())) {
            return;
        }
        for (Field f : node.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            f.setAccessible(true);
            Object v;
            try {
                v = f.get(node);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            String p = path + "." + f.getName();
            if (v == null && f.isAnnotationPresent(Required.class)) {
                throw new ManifestException(source, p, null, source + ": " + p + " is required (missing)");
            }
            if (v instanceof io.fabric8.kubernetes.api.model.Quantity q
                    && !QUANTITY.matcher(q.toString()).matches()) {
                throw new ManifestException(source, p, q.toString(), source + ": " + p
                        + " must be a Kubernetes quantity such as 8, 500m or 32Gi (got " + q + ")");
            }
            if (v instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    checkRequired(list.get(i), p + "[" + i + "]", source);
                }
            } else {
                checkRequired(v, p, source);
            }
        }
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String parentPath(List<JsonMappingException.Reference> refs) {
        return refs.isEmpty() ? "" : path(refs.subList(0, refs.size() - 1));
    }

    private static JsonNode lookup(JsonNode tree, List<JsonMappingException.Reference> refs) {
        JsonNode n = tree;
        for (JsonMappingException.Reference r : refs) {
            if (n == null) {
                return null;
            }
            n = r.getFieldName() != null ? n.get(r.getFieldName()) : n.get(r.getIndex());
        }
        return n;
    }

    private static String shortText(JsonNode v) {
        if (v == null) {
            return "nothing";
        }
        String s = v.isTextual() ? v.asText() : v.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    private static String where(JsonLocation loc) {
        if (loc == null || loc.getLineNr() <= 0) {
            return "";
        }
        return " at line " + loc.getLineNr();
    }
}
