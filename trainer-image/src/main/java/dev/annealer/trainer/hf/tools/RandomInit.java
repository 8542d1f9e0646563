package dev.annealer.trainer.hf.tools;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.annealer.trainer.hf.config.DecoderConfig;
import dev.annealer.trainer.hf.config.FamilyConfig;
import dev.annealer.trainer.hf.family.DecoderModel;
import dev.annealer.trainer.hf.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a randomly initialized {@code model.safetensors} for the decoder described by {@code DIR/config.json}
 * (llama, mistral, qwen2), as {@code transformers}' {@code _init_weights} does: every linear and embedding weight
 * ~ N(0, initializer_range²), every RMSNorm weight 1, biases 0. Deterministic: the same seed gives the same bytes
 * (one {@link SplittableRandom} per tensor, seeded from the seed and the tensor's name).
 *
 * <p>Used by {@code hack/flagship/make-base.sh} to create the flagship base model before it is pretrained:
 * <pre>java -cp "cli/target/annealer-cli.jar:cli/target/lib/*" dev.annealer.trainer.hf.tools.RandomInit DIR [SEED]</pre>
 */
public final class RandomInit {
  private RandomInit() {}

  public static void main(String[] args) throws IOException {
    dev.annealer.trainer.TrainCommand.cpuThreadDefaults(System.getenv("ANNEALER_CPU_THREADS"));
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: RandomInit MODEL_DIR [SEED]   (MODEL_DIR holds config.json; writes model.safetensors)");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 0L;
    long params = write(dir, seed);
    System.out.println("RandomInit: " + params + " parameters -> " + dir.resolve("model.safetensors"));
  }

  /** Writes {@code dir/model.safetensors}; returns the number of parameters. */
  public static long write(Path dir, long seed) throws IOException {
    FamilyConfig cfg = FamilyConfig.read(dir);
    if (!(cfg instanceof DecoderConfig d)) {
      throw new IllegalArgumentException(dir.resolve("config.json") + ": model_type " + cfg.modelType()
          + " is not supported by RandomInit; supported: llama, mistral, qwen2");
    }
    double std = initializerRange(dir);
    long total = 0;
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : DecoderModel.weightMap(d).expected().entrySet()) {
        String name = e.getKey();
        int n = Math.toIntExact(new Shape(e.getValue()).size());
        float[] v = new float[n];
        if (name.endsWith("norm.weight")) {
          java.util.Arrays.fill(v, 1f);
        } else if (!name.endsWith(".bias")) {
          SplittableRandom rnd = new SplittableRandom(seed ^ (long) name.hashCode() * 0x9E3779B97F4A7C15L);
          for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
          }
        }
        tensors.put(name, manager.create(v, new Shape(e.getValue())));
        total += n;
      }
      Files.createDirectories(dir);
      SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, SafetensorsWriter.PT_METADATA);
    }
    return total;
  }

  private static double initializerRange(Path dir) throws IOException {
    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile())
        .get("initializer_range");
    return node == null ? 0.02 : node.asDouble();
  }
}
