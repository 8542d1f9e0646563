package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.validation.CrdValidator;
import dev.annealer.api.validation.Violation;
import io.fabric8.generator.annotation.ValidationRule;
import java.io.IOException;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every CEL rule has a case in src/test/resources/cel-cases/, each case is rejected by exactly its rule, and the
 * examples pass every rule. See cel-cases/README.md for the file format.
 */
class CelCasesTest {

    static final ObjectMapper YAML = new YAMLMapper();
    static CrdValidator rules;

    @BeforeAll
    static void loadCrd() throws IOException {
        Map<String, Object> crd = YAML.readValue(Generated.moduleDir().resolve(Generated.CRD_FILE).toFile(),
                new TypeReference<>() { });
        rules = new CrdValidator(crd);
    }

    static Path casesDir() {
        return Generated.moduleDir().resolve("src/test/resources/cel-cases");
    }

    static List<Path> caseFiles() throws IOException {
        try (Stream<Path> s = Files.list(casesDir())) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void everyRuleCompiles() {
        rules.compileAll();
        assertThat(rules.rules()).hasSizeGreaterThan(40);
    }

    @Test
    void everyRuleOfTheCrdHasACase() throws IOException {
        Set<String> covered = new TreeSet<>();
        for (Path f : caseFiles()) {
            covered.add((String) YAML.readValue(f.toFile(), Map.class).get("expectedMessage"));
        }
        List<String> missing = rules.rules().stream().map(CrdValidator.Rule::message).filter(m -> !covered.contains(m))
                .distinct().toList();
        assertThat(missing).as("rules without a file in crds/src/test/resources/cel-cases/").isEmpty();
    }

    @Test
    void everyValidationRuleAnnotationIsInTheCrdAndHasACase() throws IOException {
        Set<String> covered = new TreeSet<>();
        for (Path f : caseFiles()) {
            covered.add((String) YAML.readValue(f.toFile(), Map.class).get("expectedMessage"));
        }
        List<String> annotated = new ArrayList<>();
        Path src = Generated.moduleDir().resolve("src/main/java/dev/annealer/api/v1alpha1");
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : s.filter(x -> x.toString().endsWith(".java")).toList()) {
                String name = p.getFileName().toString().replace(".java", "");
                if (name.equals("package-info")) {
                    continue;
                }
                Class<?> c = forName(FineTuneJob.class.getPackageName() + "." + name);
                annotated.addAll(messages(c));
                for (Field f : c.getDeclaredFields()) {
                    annotated.addAll(messages(f));
                }
                for (Method m : c.getDeclaredMethods()) {
                    annotated.addAll(messages(m));
                }
            }
        }
        assertThat(annotated).hasSizeGreaterThan(40);
        List<String> inCrd = rules.rules().stream().map(CrdValidator.Rule::message).toList();
        assertThat(inCrd).as("@ValidationRule messages in the generated CRD").containsAll(annotated);
        assertThat(annotated.stream().filter(m -> !covered.contains(m)).toList())
                .as("@ValidationRule without a cel-cases file").isEmpty();
    }

    @TestFactory
    List<DynamicTest> eachCaseIsRejectedByExactlyItsRule() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : caseFiles()) {
            tests.add(DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
                Map<String, Object> doc = YAML.readValue(f.toFile(), new TypeReference<>() { });
                String expected = (String) doc.get("expectedMessage");
                @SuppressWarnings("unchecked")
                Map<String, Object> manifest = (Map<String, Object>) doc.get("manifest");
                @SuppressWarnings("unchecked")
                Map<String, Object> old = (Map<String, Object>) doc.get("old");
                assertThat(manifest).as("manifest").isNotNull();
                List<String> got = rules.validate(manifest, old).stream().map(Violation::message).toList();
                // the rule's message, then the values it read: "... (got spec.schedule.minLearningRate=0.001, ...)"
                assertThat(got).as(f.getFileName() + " violations").singleElement().asString().startsWith(expected);
                if (old != null) {
                    // without the update (a plain create of the new object) the same manifest is valid
                    @SuppressWarnings("unchecked")
                    Map<String, Object> fresh = (Map<String, Object>) deepCopy(doc.get("manifest"));
                    assertThat(rules.validate(fresh, null)).as("the new object alone is valid").isEmpty();
                    @SuppressWarnings("unchecked")
                    Map<String, Object> notStarted = (Map<String, Object>) deepCopy(old);
                    notStarted.remove("status");
                    @SuppressWarnings("unchecked")
                    Map<String, Object> again = (Map<String, Object>) deepCopy(doc.get("manifest"));
                    assertThat(rules.validate(again, notStarted)).as("before the start the change is allowed").isEmpty();
                }
                // the loader accepts the case (CEL is the API server's job), or rejects it with the same message
                try {
                    FineTuneJobs.parse(YAML.writeValueAsString(doc.get("manifest")), f.getFileName().toString());
                } catch (ManifestException e) {
                    assertThat(e.getMessage()).contains(expected);
                }
            }));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> everyExamplePassesEveryRule() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : Examples.files()) {
            tests.add(DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
                Map<String, Object> manifest = YAML.readValue(f.toFile(), new TypeReference<>() { });
                assertThat(rules.validate(manifest, null)).isEmpty();
                // an update that changes nothing passes the transition rules too
                Map<String, Object> started = YAML.readValue(f.toFile(), new TypeReference<>() { });
                started.put("status", Map.of("startTime", "2026-11-28T17:00:00Z"));
                Map<String, Object> same = YAML.readValue(f.toFile(), new TypeReference<>() { });
                assertThat(rules.validate(same, started)).isEmpty();
            }));
        }
        assertThat(tests).isNotEmpty();
        return tests;
    }

    @SuppressWarnings("unchecked")
    static Object deepCopy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> c = new java.util.LinkedHashMap<>();
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

    private static List<String> messages(AnnotatedElement e) {
        return Stream.of(e.getAnnotationsByType(ValidationRule.class)).map(ValidationRule::message).toList();
    }

    private static Class<?> forName(String n) {
        try {
            return Class.forName(n);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
