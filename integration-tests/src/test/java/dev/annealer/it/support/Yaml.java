package dev.annealer.it.support;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Multi-document YAML as plain Maps/Lists (jackson-dataformat-yaml). */
public final class Yaml {

    public static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());

    private Yaml() {
    }

    /** All non-empty documents of {@code file}, in order. */
    public static List<Object> documents(Path file) {
        try (MappingIterator<Object> it = MAPPER.readerFor(Object.class).readValues(Files.readString(file))) {
            List<Object> docs = new ArrayList<>();
            while (it.hasNext()) {
                Object d = it.next();
                if (d != null) {
                    docs.add(d);
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
