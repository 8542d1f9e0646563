package dev.annealer.trainer.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.annealer.trainer.checkpoint.CheckpointStore;
import dev.annealer.trainer.checkpoint.TensorFile;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark (not a test): checkpoint write throughput side by side with {@code dd bs=1M conv=fsync} of the same
 * number of bytes to the same directory, alternating runs. The checkpoint is a model of float32 parameters plus AdamW
 * moments held in libtorch ({@code libtorch} rows: streamed from tensor memory) and, for sizes up to 256 MB, the same
 * state in Java {@code float[]}s ({@code float[]} rows). Prints median and best MB/s and the ratio to dd's median.
 *
 * <p>Usage: {@code java -cp <test classpath> dev.annealer.trainer.bench.CheckpointBench <dir> [MB,MB,...] [runs]}
 * (default {@code 48,1024} and 5 runs).
 */
public final class CheckpointBench {
  private static final Pattern DD = Pattern.compile("copied, ([0-9.]+) s");

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/annealer-ckpt-bench");
    String[] sizes = (args.length > 1 ? args[1] : "48,1024").split(",");
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    Files.createDirectories(dir);
    System.out.println("| checkpoint | writer | median MB/s | best MB/s | dd median MB/s | ratio (median) |");
    System.out.println("|---|---|---|---|---|---|");
    for (String sz : sizes) {
      long mb = Long.parseLong(sz.trim());
      long params = mb * 1_000_000 / 12; // params + exp_avg + exp_avg_sq, float32
      try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        long left = params;
        for (int i = 0; left > 0; i++) {
          long n = Math.min(left, 50_000_000);
          tensors.put("layer" + i + ".weight", m.randomUniform(-1, 1, new Shape(n)));
          tensors.put("layer" + i + ".weight/exp_avg", m.randomUniform(-1, 1, new Shape(n)));
          tensors.put("layer" + i + ".weight/exp_avg_sq", m.randomUniform(0, 1, new Shape(n)));
          left -= n;
        }
        Map<String, TensorFile.Source> p = new LinkedHashMap<>();
        Map<String, TensorFile.Source> o = new LinkedHashMap<>();
        tensors.forEach((k, v) -> (k.contains("/") ? o : p).put(k, TensorFile.Source.of(v.toByteBuffer(true))));
        List<Double> torch = new ArrayList<>();
        List<Double> floats = new ArrayList<>();
        List<Double> dd = new ArrayList<>();
        long bytes = 0;
        Map<String, TensorFile.Source> pf = null;
        Map<String, TensorFile.Source> of = null;
        if (mb <= 256) {
          pf = new LinkedHashMap<>();
          of = new LinkedHashMap<>();
          for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            (e.getKey().contains("/") ? of : pf).put(e.getKey(), TensorFile.Source.of(e.getValue().toFloatArray()));
          }
        }
        CheckpointStore store = new CheckpointStore(dir.resolve("ck"), System.err::println);
        for (int r = 0; r < runs; r++) {
          CheckpointStore.Written w = store.write(r + 1, Map.of("step", r + 1), p, o, new CheckpointStore.Retention(1, false));
          bytes = w.bytes();
          torch.add(w.seconds());
          if (pf != null) {
            CheckpointStore.Written wf = store.write(1000 + r, Map.of("step", 1000 + r), pf, of,
                new CheckpointStore.Retention(1, false));
            floats.add(wf.seconds());
          }
          dd.add(dd(dir, (bytes + (1 << 20) - 1) >> 20));
        }
        double ddMb = (((bytes + (1 << 20) - 1) >> 20) << 20) / 1e6 / median(dd); // dd's own bytes over its own time
        row(bytes, "libtorch", torch, ddMb);
        if (pf != null) {
          row(bytes, "float[]", floats, ddMb);
        }
        // resume: find + verify (parallel chunk hashes, params digest) + copy every tensor into libtorch
        long t0 = System.nanoTime();
        CheckpointStore.Loaded l = store.latestValid().orElseThrow();
        double verified = (System.nanoTime() - t0) / 1e9;
        for (Map.Entry<String, java.nio.ByteBuffer> e : l.paramBytes().entrySet()) {
          java.nio.ByteBuffer own = java.nio.ByteBuffer.allocateDirect(e.getValue().remaining());
          own.put(e.getValue().duplicate()).flip();
          tensors.get(e.getKey()).set(own);
        }
        for (Map.Entry<String, java.nio.ByteBuffer> e : l.optimizerBytes().entrySet()) {
          java.nio.ByteBuffer own = java.nio.ByteBuffer.allocateDirect(e.getValue().remaining());
          own.put(e.getValue().duplicate()).flip();
          tensors.get(e.getKey()).set(own);
        }
        double loaded = (System.nanoTime() - t0) / 1e9;
        System.out.printf("resume %.0f MB: verified in %.2f s, in libtorch after %.2f s%n", bytes / 1e6, verified, loaded);
        if (mb >= 1000) {
          overhead(m, tensors, p, o, dir);
        }
        CheckpointStore.deleteTreeForBench(dir.resolve("ck"));
      }
    }
  }

  /**
   * Step-time overhead of one periodic checkpoint: 20 steps of fixed libtorch work (matmuls) with a checkpoint after
   * step 5, written inline vs in the background (libtorch snapshot + writer thread), against 20 steps without one.
   */
  static void overhead(NDManager m, Map<String, NDArray> tensors, Map<String, TensorFile.Source> p,
      Map<String, TensorFile.Source> o, Path dir) throws Exception {
    NDArray a = m.randomUniform(-1, 1, new Shape(384, 384));
    Runnable step = () -> {
      try (NDManager s = m.newSubManager()) {
        NDArray x = a.duplicate();
        x.attach(s);
        for (int i = 0; i < 20; i++) {
          x = x.matMul(a).tanh();
        }
        x.getFloat(0, 0);
      }
    };
    for (int i = 0; i < 5; i++) {
      step.run(); // warm-up
    }
    p = new LinkedHashMap<>(); // fresh views: the resume above gave the tensors new memory
    o = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      (e.getKey().contains("/") ? o : p).put(e.getKey(), TensorFile.Source.of(e.getValue().toByteBuffer(true)));
    }
    Map<String, TensorFile.Source> pv = p;
    Map<String, TensorFile.Source> ov = o;
    CheckpointStore store = new CheckpointStore(dir.resolve("ov"), System.err::println);
    double none = 0;
    double inline = 0;
    double background = 0;
    for (int round = 0; round < 2; round++) {
      none += steps(step, null);
      inline += steps(step, () -> {
        try {
          store.write(1, Map.of("step", 1), pv, ov, new CheckpointStore.Retention(1, false));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      dev.annealer.trainer.checkpoint.BackgroundWriter w = new dev.annealer.trainer.checkpoint.BackgroundWriter();
      double[] total = {0};
      background += steps(step, () -> {
        List<NDArray> copies = new ArrayList<>();
        Map<String, TensorFile.Source> ps = new LinkedHashMap<>();
        Map<String, TensorFile.Source> os = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
          NDArray c = v.duplicate();
          ai.djl.ndarray.NDScope.unregister(c);
          copies.add(c);
          (k.contains("/") ? os : ps).put(k, TensorFile.Source.of(c.toByteBuffer(true)));
        });
        w.submit(2, () -> store.write(2, Map.of("step", 2), ps, os, new CheckpointStore.Retention(1, false)),
            () -> copies.forEach(NDArray::close));
      });
      long t = System.nanoTime();
      w.await();
      total[0] = (System.nanoTime() - t) / 1e9;
      w.close();
      System.out.printf("  (background write still running after the 20 steps: %.2f s more)%n", total[0]);
    }
    System.out.printf("20 steps: %.2f s without a checkpoint, %.2f s with one inline, %.2f s with one in the background"
        + " (overhead %.2f s vs %.2f s per checkpoint)%n", none / 2, inline / 2, background / 2, (inline - none) / 2,
        (background - none) / 2);
    CheckpointStore.deleteTreeForBench(dir.resolve("ov"));
  }

  private static double steps(Runnable step, Runnable checkpointAfter5) {
    long t0 = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      step.run();
      if (i == 4 && checkpointAfter5 != null) {
        checkpointAfter5.run();
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void row(long bytes, String writer, List<Double> secs, double ddMb) {
    double med = bytes / 1e6 / median(secs);
    double best = bytes / 1e6 / Collections.min(secs);
    System.out.printf("| %.0f MB | %s | %.0f | %.0f | %.0f | %.2f |%n", bytes / 1e6, writer, med, best, ddMb, med / ddMb);
  }

  static double dd(Path dir, long mb) throws Exception {
    Path f = dir.resolve("dd.bin");
    Files.deleteIfExists(f);
    Process p = new ProcessBuilder("dd", "if=/dev/zero", "of=" + f, "bs=1M", "count=" + mb, "conv=fsync")
        .redirectErrorStream(true).start();
    String out;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      out = String.join("\n", in.lines().toList());
    }
    p.waitFor();
    Files.deleteIfExists(f);
    Matcher m = DD.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("dd said: " + out);
    }
    return Double.parseDouble(m.group(1));
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
