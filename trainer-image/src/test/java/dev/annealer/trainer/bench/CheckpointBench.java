package dev.annealer.trainer.bench;

import dev.annealer.trainer.checkpoint.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Benchmark (not a test): checkpoint write time and throughput (params + AdamW moments, fsynced, renamed) for a model
 * of {@code params} float32 parameters, in {@code dir}; compare with {@code dd ... conv=fsync} to the same directory.
 *
 * <p>Usage: {@code java -cp <test classpath> dev.annealer.trainer.bench.CheckpointBench <dir> [params] [writes]}
 */
public final class CheckpointBench {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/annealer-ckpt-bench");
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 4_000_000;
    int writes = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    Map<String, float[]> params = new LinkedHashMap<>();
    params.put("0.weight", fill(n - 1000, 1));
    params.put("0.bias", fill(1000, 2));
    Map<String, float[]> opt = new LinkedHashMap<>();
    opt.put("0.weight/exp_avg", fill(n - 1000, 3));
    opt.put("0.weight/exp_avg_sq", fill(n - 1000, 4));
    opt.put("0.bias/exp_avg", fill(1000, 5));
    opt.put("0.bias/exp_avg_sq", fill(1000, 6));
    CheckpointStore store = new CheckpointStore(dir, System.err::println);
    double best = Double.MAX_VALUE;
    double sum = 0;
    long bytes = 0;
    for (int i = 0; i < writes; i++) {
      long t0 = System.nanoTime();
      String name = store.write(i + 1, Map.of("step", i + 1), params, opt).name();
      double s = (System.nanoTime() - t0) / 1e9;
      best = Math.min(best, s);
      sum += s;
      try (var files = Files.list(dir.resolve(name))) {
        bytes = files.mapToLong(p -> p.toFile().length()).sum();
      }
      store.prune(1, false, name);
    }
    System.out.printf("checkpoint of %d params: %.1f MB, mean %.3f s, best %.3f s, %.1f MB/s (mean), %.1f MB/s (best)%n",
        n, bytes / 1e6, sum / writes, best, bytes / 1e6 / (sum / writes), bytes / 1e6 / best);
  }

  static float[] fill(int n, int seed) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) Math.sin(i * 0.001 + seed);
    }
    return a;
  }
}
