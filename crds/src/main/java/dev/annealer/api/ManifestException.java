package dev.annealer.api;

/**
 * A FineTuneJob manifest that cannot be used, with what a user needs to fix it: the file, the field (a path such as
 * {@code spec.training.maxSteps}), the offending value, and a message of the form
 * {@code FILE: FIELD must ... (got VALUE): why/fix}.
 */
public class ManifestException extends IllegalArgumentException {

    private final String file;
    private final String field;
    private final String value;

    public ManifestException(String file, String field, String value, String message) {
        super(message);
        this.file = file;
        this.field = field;
        this.value = value;
    }

    public ManifestException(String file, String field, String value, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
        this.field = field;
        this.value = value;
    }

    /** The manifest's file name as the user gave it (or a description such as {@code <stdin>}). */
    public String file() {
        return file;
    }

    /** Dotted path of the offending field ({@code spec.schedule.peakDecay}, {@code spec.model.trainable[1]}), or null. */
    public String field() {
        return field;
    }

    /** The offending value as written in the manifest, or null when the field is missing. */
    public String value() {
        return value;
    }
}
