package dev.annealer.it.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads CEL case tables: YAML files whose rows are a minimal invalid manifest and the message the API server must
 * reject it with.
 *
 * <p>Accepted shapes (per YAML document): a list of rows; a map with {@code cases:} (a list of rows); or one row.
 * A row has {@code expectedMessage} (required, matched as a substring of the server's answer), {@code manifest}
 * (required), {@code name} (optional) and {@code old} (optional, transition rules that use {@code oldSelf}: the object
 * as stored before the update; it is created without its status, its status is then written through the status
 * subresource, and {@code manifest}'s spec is sent as an update). This is the format of
 * {@code crds/src/test/resources/cel-cases/README.md}; {@code before} is accepted as a synonym of {@code old}.
 */
public final class CelCases {

    /** One row of a table; {@code source} is "file#index" for messages. */
    public record CelCase(String source, String name, String expectedMessage, Map<String, Object> manifest,
                          Map<String, Object> old) {
    }

    private CelCases() {
    }

    public static List<CelCase> read(Path file) {
        List<CelCase> rows = new ArrayList<>();
        for (Object doc : Yaml.documents(file)) {
            List<?> items;
            if (doc instanceof List<?> l) {
                items = l;
            } else if (doc instanceof Map<?, ?> m && m.get("cases") instanceof List<?> l) {
                items = l;
            } else {
                items = List.of(doc);
            }
            for (Object item : items) {
                rows.add(row(file, rows.size(), item));
            }
        }
        return rows;
    }

    @SuppressWarnings("unchecked")
    private static CelCase row(Path file, int index, Object item) {
        String source = file.getFileName() + "#" + index;
        if (!(item instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(source + ": a CEL case must be a map with expectedMessage and manifest"
                    + " (got " + item + ")");
        }
        Object message = m.get("expectedMessage");
        Object manifest = m.get("manifest");
        if (!(message instanceof String) || ((String) message).isBlank() || !(manifest instanceof Map)) {
            throw new IllegalArgumentException(source + ": a CEL case needs expectedMessage (non-empty string) and "
                    + "manifest (a map); found keys " + m.keySet());
        }
        Object before = m.containsKey("old") ? m.get("old") : m.get("before");
        String name = m.get("name") instanceof String n ? n : source;
        return new CelCase(source, name, (String) message, (Map<String, Object>) manifest,
                before instanceof Map ? (Map<String, Object>) before : null);
    }
}
