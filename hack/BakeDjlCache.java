import ai.djl.engine.Engine;

/**
 * Unpacks DJL's native libraries into {@code DJL_CACHE_DIR}, exactly as the trainer would on first use, so that
 * hack/images.sh can bake them into the image (its root filesystem is read-only at run time). Run as a source file:
 * {@code DJL_CACHE_DIR=DIR java -Dai.djl.offline=true -cp "annealer-trainer.jar:lib/*" hack/BakeDjlCache.java}.
 * Loads the PyTorch engine (unless ANNEALER_BAKE_TOKENIZERS_ONLY=true) and, when ai.djl.huggingface:tokenizers is on
 * the classpath, the tokenizers library; exits non-zero if either is present but fails to load.
 */
public class BakeDjlCache {
    public static void main(String[] args) throws Exception {
        if (!"true".equals(System.getenv("ANNEALER_BAKE_TOKENIZERS_ONLY"))) {
            Engine engine = Engine.getEngine("PyTorch");
            System.err.println("baked engine " + engine.getEngineName() + " " + engine.getVersion() + " into "
                    + System.getenv("DJL_CACHE_DIR"));
        }
        Class<?> tokenizers;
        try {
            tokenizers = Class.forName("ai.djl.huggingface.tokenizers.jni.LibUtils");
        } catch (ClassNotFoundException e) {
            System.err.println("no ai.djl.huggingface:tokenizers on the classpath: nothing more to bake");
            return;
        }
        tokenizers.getMethod("checkStatus").invoke(null); // loads (and first unpacks) libtokenizers.so
        System.err.println("baked the tokenizers library");
    }
}
