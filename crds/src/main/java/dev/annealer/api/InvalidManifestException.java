package dev.annealer.api;

import dev.annealer.api.validation.Violation;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A manifest the API server would reject: every {@link Violation} of the CRD's schema and CEL rules, one per line of
 * the message, each prefixed with the file ({@code job.yaml: spec.schedule.periodMultiplier must be >= 1 ...}).
 * {@link #field()} and {@link #value()} are those of the first violation.
 */
public class InvalidManifestException extends ManifestException {

    private final transient List<Violation> violations;

    public InvalidManifestException(String file, List<Violation> violations) {
        super(file, violations.get(0).field(), violations.get(0).value(), violations.stream()
                .map(v -> file + ": " + v.message()).collect(Collectors.joining("\n")));
        this.violations = List.copyOf(violations);
    }

    /** Every violation, in the order the manifest was walked. */
    public List<Violation> violations() {
        return violations;
    }
}
