package dev.annealer.api.validation;

/**
 * One reason a manifest is invalid.
 *
 * @param field   dotted path of the field ({@code spec.schedule.periodMultiplier}, {@code spec.optimizer.betas[1]})
 * @param value   the offending value as written (null when the field is missing or the rule spans several fields)
 * @param message the whole sentence: field, what is wrong, the value, and the fix
 * @param kind    where the verdict comes from
 * @param line    1-based line of the field in the YAML file, or null when unknown (or the field is missing)
 */
public record Violation(String field, String value, String message, Kind kind, Integer line) {

    /** The part of the CRD that rejected the manifest. */
    public enum Kind {
        /** The structural schema: types, enums, bounds, required and unknown fields. */
        SCHEMA,
        /** An {@code x-kubernetes-validations} CEL rule. */
        CEL
    }

    @Override
    public String toString() {
        return message;
    }
}
