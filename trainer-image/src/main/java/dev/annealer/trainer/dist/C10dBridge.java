package dev.annealer.trainer.dist;

import ai.djl.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The JNI bridge to c10d ({@code trainer-image/src/main/native/annealer_c10d.cc}, built by {@code hack/c10d-bridge.sh}).
 * Tensor arguments are DJL {@code PtNDArray} handles (pointers to {@code at::Tensor}).
 *
 * <p>Where the library is: {@code -Dannealer.c10d.library}, else {@code $ANNEALER_C10D_LIBRARY}, else
 * {@code native/libannealer_c10d.so} next to the trainer's jar (the image layout).
 */
final class C10dBridge {
  private static boolean loaded;

  private C10dBridge() {}

  static synchronized void load(Map<String, String> env) {
    if (loaded) {
      return;
    }
    Path lib = locate(env);
    if (lib == null || !Files.isRegularFile(lib)) {
      throw new IllegalStateException("the c10d bridge library is not there (" + (lib == null ? "no location known" : lib)
          + "): multi-worker training needs it; build it with hack/c10d-bridge.sh (the Maven build of trainer-image does) "
          + "and point -Dannealer.c10d.library or ANNEALER_C10D_LIBRARY at the .so");
    }
    // libtorch first: DJL loads libtorch_cpu.so/libc10.so, which the bridge then finds by soname
    Engine.getEngine("PyTorch");
    System.load(lib.toAbsolutePath().toString());
    loaded = true;
  }

  static Path locate(Map<String, String> env) {
    String p = System.getProperty("annealer.c10d.library");
    if (p == null || p.isBlank()) {
      p = env.get("ANNEALER_C10D_LIBRARY");
    }
    if (p != null && !p.isBlank()) {
      return Path.of(p);
    }
    try {
      Path jar = Path.of(C10dBridge.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return jar.getParent().resolve("native").resolve("libannealer_c10d.so");
    } catch (Exception e) {
      return null;
    }
  }

  static native long create(String backend, String host, int port, int rank, int world, int timeoutMs, String iface);

  static native void allreduce(long group, long[] tensors, int op);

  static native void broadcast(long group, long[] tensors, int root);

  static native void barrier(long group);

  static native void destroy(long group);
}
