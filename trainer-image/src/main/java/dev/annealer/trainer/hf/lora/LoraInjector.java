package dev.annealer.trainer.hf.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.nn.Dense;
import dev.annealer.trainer.hf.nn.LinearFactory;
import dev.annealer.trainer.hf.nn.LinearOp;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The {@link LinearFactory} of a LoRA job: wraps every targeted linear module in a {@link LoraLinear} and owns the
 * adapters under PEFT's names ({@code base_model.model.<module>.lora_A.weight}). Adapters start from a PEFT directory
 * ({@code initFrom}) or as PEFT's default: {@code lora_A} Kaiming-uniform with a = √5 (uniform in ±1/√in), drawn from
 * a {@link SplittableRandom} seeded by the job seed and the adapter's name (PEFT's distribution, Annealer's random
 * stream: the same seed gives the same adapters on every device), {@code lora_B} zeros.
 */
public final class LoraInjector implements LinearFactory {
  public static final String PREFIX = "base_model.model.";

  private final LoraSpec spec;
  private final long seed;
  private final NDManager manager;
  private final Device device;
  private final SafetensorsReader init;
  private final Path initDir;
  private final Set<String> excluded;
  private final Set<String> matchedTargets = new LinkedHashSet<>();
  private final Set<String> usedInitKeys = new LinkedHashSet<>();
  private final LinkedHashMap<String, LoraLinear> adapters = new LinkedHashMap<>();

  /**
   * @param excluded output heads, which {@code all-linear} leaves out (as PEFT does); a list may still name them
   * @param initDir a PEFT adapter directory, or null
   */
  public LoraInjector(LoraSpec spec, long seed, NDManager manager, Device device, Path initDir,
      Set<String> excluded) throws IOException {
    this.spec = spec;
    this.seed = seed;
    this.manager = manager;
    this.device = device;
    this.initDir = initDir;
    this.excluded = excluded;
    if (initDir != null) {
      checkAgainst(PeftAdapterConfig.read(initDir), spec);
    }
    this.init = initDir == null ? null : SafetensorsReader.open(initDir.resolve("adapter_model.safetensors"));
  }

  /** The adapter being continued must have the job's rank, alpha and targets. */
  private static void checkAgainst(PeftAdapterConfig.Read saved, LoraSpec spec) {
    String f = "spec.model.lora.initFrom adapter_config.json ";
    if (saved.rank() != spec.rank()) {
      throw TrainerFailure.invalid(f + "r", saved.rank(), "must equal spec.model.lora.rank (" + spec.rank() + ")");
    }
    if (saved.alpha() != spec.alpha()) {
      throw TrainerFailure.invalid(f + "lora_alpha", saved.alpha(),
          "must equal spec.model.lora.alpha (" + spec.alpha() + ")");
    }
    if (!spec.allLinear() && !saved.targetModules().contains(LoraSpec.ALL_LINEAR)
        && !new TreeSet<>(saved.targetModules()).equals(new TreeSet<>(spec.targetModules()))) {
      throw TrainerFailure.invalid(f + "target_modules", saved.targetModules(),
          "must equal spec.model.lora.targetModules (" + spec.targetModules() + ")");
    }
  }

  public LoraSpec spec() {
    return spec;
  }

  @Override
  public LinearOp linear(String module, NDArray weight, NDArray bias, boolean conv1d) {
    Dense base = new Dense(module, weight, bias, conv1d);
    String target = spec.allLinear() ? (excluded.contains(module) ? null : LoraSpec.ALL_LINEAR)
        : spec.matchingTarget(module);
    if (target == null) {
      return base;
    }
    matchedTargets.add(target);
    String prefix = PREFIX + module;
    long in = base.inFeatures();
    long out = base.outFeatures();
    NDArray a = tensor(prefix + ".lora_A.weight", spec.rank(), in, true);
    NDArray b = tensor(prefix + ".lora_B.weight", out, spec.rank(), false);
    a.setRequiresGradient(true);
    b.setRequiresGradient(true);
    LoraLinear l = new LoraLinear(base, a, b, spec.scaling());
    adapters.put(module, l);
    return l;
  }

  private NDArray tensor(String name, long rows, long cols, boolean kaiming) {
    if (init != null) {
      if (!init.names().contains(name)) {
        return missing(name);
      }
      usedInitKeys.add(name);
      try {
        NDArray t = init.load(name, manager, device);
        if (!t.getShape().equals(new Shape(rows, cols))) {
          throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, "spec.model.lora.initFrom "
              + initDir.resolve("adapter_model.safetensors") + ": " + name + " has shape " + t.getShape()
              + ", the model and rank " + spec.rank() + " need " + new Shape(rows, cols));
        }
        return t;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    float[] values = new float[Math.toIntExact(rows * cols)];
    if (kaiming) {
      // kaiming_uniform_(a=sqrt(5)) on [r, in]: gain sqrt(2/(1+5)), bound = gain*sqrt(3/fan_in) = 1/sqrt(in)
      double bound = 1.0 / Math.sqrt(cols);
      SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
      }
    }
    return dev.annealer.trainer.hf.ops.Scalars.ownedCopy(
        manager.create(values, new Shape(rows, cols)).toDevice(device, false));
  }

  private NDArray missing(String name) {
    throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, "spec.model.lora.initFrom "
        + initDir.resolve("adapter_model.safetensors") + " lacks " + name + " (targets " + spec.targetModules()
        + ", rank " + spec.rank() + ")");
  }

  /**
   * Call after the model is built: fails if a target matched no module, or if {@code initFrom} holds tensors no
   * adapter used (other than the {@code extraInitKeys} the family consumed itself, e.g. a classifier).
   */
  public void finish(List<String> availableModules, Set<String> extraInitKeys) throws IOException {
    if (!spec.allLinear()) {
      List<String> unmatched = new ArrayList<>();
      for (String t : spec.targetModules()) {
        if (!matchedTargets.contains(t)) {
          unmatched.add(t);
        }
      }
      if (!unmatched.isEmpty()) {
        Set<String> leaves = new TreeSet<>();
        availableModules.forEach(m -> leaves.add(m.substring(m.lastIndexOf('.') + 1)));
        throw TrainerFailure.invalid("spec.model.lora.targetModules", unmatched,
            "names no linear module of this model; available: " + leaves);
      }
    }
    if (init != null) {
      List<String> unused = new ArrayList<>();
      for (String k : init.names()) {
        if (!usedInitKeys.contains(k) && !extraInitKeys.contains(k)) {
          unused.add(k);
        }
      }
      init.close();
      if (!unused.isEmpty()) {
        throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, "spec.model.lora.initFrom "
            + initDir.resolve("adapter_model.safetensors") + " holds tensors that the LoRA targets "
            + spec.targetModules() + " do not explain: " + unused);
      }
    }
  }

  /** The init file, for a family that loads more than adapters from it (a saved classifier); null without init. */
  public SafetensorsReader initReader() {
    return init;
  }

  /** Wrapped modules by HF module path, in model order. */
  public Map<String, LoraLinear> adapters() {
    return adapters;
  }

  /** Adapter weights under PEFT's names, in model order (A then B per module). */
  public LinkedHashMap<String, NDArray> parameters() {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, LoraLinear> e : adapters.entrySet()) {
      out.put(PREFIX + e.getKey() + ".lora_A.weight", e.getValue().loraA());
      out.put(PREFIX + e.getKey() + ".lora_B.weight", e.getValue().loraB());
    }
    return out;
  }

  /** The target names to write to adapter_config.json: as given, or the modules {@code all-linear} resolved to. */
  public List<String> resolvedTargets() {
    if (!spec.allLinear()) {
      return spec.targetModules();
    }
    Set<String> leaves = new TreeSet<>();
    adapters.keySet().forEach(m -> leaves.add(m.substring(m.lastIndexOf('.') + 1)));
    return List.copyOf(leaves);
  }

  @Override
  public String toString() {
    return "LoRA r=" + spec.rank() + " alpha=" + spec.alpha() + " on " + Arrays.toString(adapters.keySet().toArray());
  }
}
