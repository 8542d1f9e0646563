package dev.annealer.api.v1alpha1;

/**
 * Accepted spellings of model and data locations, shared by the CRD's CEL rules and the trainer.
 *
 * <ul>
 *   <li>{@code pvc://CLAIM/path}: a PersistentVolumeClaim in the job's namespace, mounted read-only at
 *       {@code /mnt/pvc/CLAIM/path};</li>
 *   <li>{@code file:///absolute/path}: a file inside the trainer image;</li>
 *   <li>a relative path (no scheme): resolved against the trainer's working directory;</li>
 *   <li>{@code builtin:NAME[?key=value,...]}: models only, a model the trainer builds.</li>
 * </ul>
 */
public final class Sources {

    /** CEL: a source is pvc://CLAIM/path, file:///path or a scheme-less relative path. */
    public static final String DATA_RULE =
            "self.matches('^pvc://[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[^/].*$') || self.startsWith('file:///') "
                    + "|| !self.matches('^[a-zA-Z][a-zA-Z0-9+.-]*:')";
    public static final String DATA_MESSAGE_SUFFIX =
            " must be pvc://CLAIM/path, file:///absolute/path or a relative path";

    /** CEL: like {@link #DATA_RULE}, plus builtin:NAME[?params]. */
    public static final String MODEL_RULE = DATA_RULE + " || self.matches('^builtin:[a-z][a-z0-9-]*([?].*)?$')";
    public static final String MODEL_MESSAGE =
            "spec.model.source must be pvc://CLAIM/path, file:///absolute/path, a relative path, "
                    + "or builtin:NAME[?key=value,...] (e.g. builtin:mlp?hidden=64,64)";

    /** A Kubernetes resource quantity (the API server's own syntax): 8, 500m, 1.5, 32Gi, 1e3. */
    public static final String QUANTITY_PATTERN = "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))"
            + "(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

    /** CEL for an int-or-string quantity field: an integer, or a string in {@link #QUANTITY_PATTERN}. */
    public static final String QUANTITY_RULE = "type(self) == int || self.matches(r'" + QUANTITY_PATTERN + "')";

    public static final String PVC_PREFIX = "pvc://";
    public static final String FILE_PREFIX = "file://";
    public static final String BUILTIN_PREFIX = "builtin:";

    private Sources() {
    }
}
