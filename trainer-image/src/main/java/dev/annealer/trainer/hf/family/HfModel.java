package dev.annealer.trainer.hf.family;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.HfTask;
import dev.annealer.trainer.hf.LanguageModel;
import dev.annealer.trainer.hf.TokenBatch;
import dev.annealer.trainer.hf.config.ConfigJson;
import dev.annealer.trainer.hf.config.FamilyConfig;
import dev.annealer.trainer.hf.lora.LoraInjector;
import dev.annealer.trainer.hf.lora.LoraLinear;
import dev.annealer.trainer.hf.lora.PeftAdapterConfig;
import dev.annealer.trainer.hf.nn.LinearFactory;
import dev.annealer.trainer.hf.ops.Ops;
import dev.annealer.trainer.hf.ops.Scalars;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import dev.annealer.trainer.hf.weights.SafetensorsWriter;
import dev.annealer.trainer.hf.weights.WeightMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What every family shares: parameters under canonical HF names in one {@link NDManager}, LoRA through a
 * {@link LoraInjector}, the loss of each task, and export. A family supplies its name table and its forward pass.
 */
public abstract class HfModel implements LanguageModel {
  /** Files of a model directory that are not weights and go along on export. */
  public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
      "special_tokens_map.json", "tokenizer.model", "vocab.txt", "vocab.json", "merges.txt", "added_tokens.json",
      "chat_template.jinja", "chat_template.json", "generation_config.json");

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  protected final Path source;
  protected final NDManager manager;
  protected final HfTask task;
  protected final WeightMap weights;
  /** Base parameters under canonical HF names, in model order; a tied head appears once (as the embedding). */
  protected final LinkedHashMap<String, NDArray> params;
  /** Null for a full fine-tune. */
  protected LoraInjector lora;
  /** Constants on the autograd path (see {@link Scalars}). */
  protected final Scalars scalars;
  /** What the trainer does differently from the checkpoint's own settings, for the job log. */
  protected final List<String> warnings = new ArrayList<>();

  protected HfModel(Path source, NDManager manager, HfTask task, WeightMap weights,
      LinkedHashMap<String, NDArray> params) {
    this.source = source;
    this.manager = manager;
    this.task = task;
    this.weights = weights;
    this.params = params;
    this.scalars = new Scalars(manager);
  }

  /** The architecture record parsed from config.json. */
  public abstract FamilyConfig config();

  /** Logits of the batch ({@code [B, T, V]} or {@code [B, numLabels]}); intermediates are closed by the caller's scope. */
  protected abstract NDArray forward(TokenBatch batch);

  /** Every linear module's HF path (what LoRA may target). */
  protected abstract List<String> linearModules();

  /**
   * Builds the layers through {@code build}: with plain linears, or, when {@code opts.lora()} is set, through a
   * {@link LoraInjector} that wraps the target modules (never those in {@code untouched}), whose adapters are then
   * finished (initialized or read from {@code initFrom}) against the modules the build created.
   */
  protected final void buildLayers(dev.annealer.trainer.hf.HfLoadOptions opts, Set<String> untouched,
      java.util.function.Consumer<LinearFactory> build) throws IOException {
    LinearFactory linears = LinearFactory.PLAIN;
    if (opts.lora() != null) {
      lora = new LoraInjector(opts.lora(), opts.seed(), manager, opts.device(), opts.loraInitFrom(), untouched);
      linears = lora;
    }
    build.accept(linears);
    if (lora != null) {
      lora.finish(linearModules(), Set.of());
    }
  }

  /**
   * Modules trained in full next to LoRA adapters and saved with them (PEFT's {@code modules_to_save}): the classifier
   * of a classification job; empty for causal LM.
   */
  protected List<String> modulesToSave() {
    return List.of();
  }

  /** {@code task_type} of the adapter config. */
  protected String peftTaskType() {
    return task == HfTask.CAUSAL_LM ? "CAUSAL_LM" : "SEQ_CLS";
  }

  /** The config.json to export (default: the source's, dtype set to float32). */
  protected ObjectNode exportConfig() {
    ObjectNode c = ConfigJson.read(source).root().deepCopy();
    for (String k : List.of("torch_dtype", "dtype")) {
      if (c.has(k) && !c.get(k).isNull()) {
        c.put(k, "float32");
      }
    }
    return c;
  }

  @Override
  public String family() {
    return config().modelType();
  }

  /** The source model directory. */
  public Path source() {
    return source;
  }

  public HfTask task() {
    return task;
  }

  /** Base weights (frozen under LoRA) by canonical name: for tests and tools; do not close them. */
  public Map<String, NDArray> baseParameters() {
    return java.util.Collections.unmodifiableMap(params);
  }

  /**
   * Settings of the checkpoint that this trainer does not apply, and heads it had to initialize, as sentences for the
   * job log (e.g. dropout in config.json: training here never applies dropout).
   */
  public List<String> warnings() {
    List<String> out = new ArrayList<>();
    if (!config().ignoredDropout().isEmpty()) {
      out.add("config.json sets dropout " + config().ignoredDropout() + "; Annealer trains without dropout"
          + " (deterministic, resumable steps), as with those values set to 0");
    }
    out.addAll(warnings);
    return out;
  }

  public LoraInjector lora() {
    return lora;
  }

  @Override
  public LinkedHashMap<String, NDArray> trainableParameters() {
    if (lora == null) {
      return new LinkedHashMap<>(params);
    }
    LinkedHashMap<String, NDArray> out = lora.parameters();
    for (String module : modulesToSave()) {
      for (String suffix : List.of(".weight", ".bias")) {
        NDArray p = params.get(module + suffix);
        if (p != null) {
          out.put(LoraInjector.PREFIX + module + suffix, p);
        }
      }
    }
    return out;
  }

  /** Zeroes the accumulated gradient of every trainable parameter (libtorch accumulates across backward calls). */
  public void zeroGradients() {
    for (NDArray p : trainableParameters().values()) {
      if (p instanceof ai.djl.pytorch.engine.PtNDArray pt && p.hasGradient()) {
        JniUtils.zeroGrad(pt);
      }
    }
  }

  @Override
  public NDArray loss(TokenBatch batch) {
    NDArray loss;
    try (NDScope scope = new NDScope()) {
      NDArray logits = forward(batch);
      loss = switch (task) {
        case CAUSAL_LM -> Ops.causalLmLoss(logits, batch.labels());
        case CLASSIFICATION -> Ops.crossEntropy(logits, batch.labels());
        case REGRESSION -> Ops.mseLoss(logits, batch.labels());
      };
      NDScope.unregister(loss);
      scope.suppressNotUsedWarning();
    }
    loss.attach(batch.inputIds().getManager());
    return loss;
  }

  @Override
  public NDArray logits(TokenBatch batch) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      NDArray logits;
      try (NDScope scope = new NDScope()) {
        logits = forward(batch);
        NDScope.unregister(logits);
        scope.suppressNotUsedWarning();
      }
      logits.attach(batch.inputIds().getManager());
      return logits;
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /**
   * Greedy decoding for a causal LM (a demo's before/after answer): appends the argmax token until {@code eosId} or
   * {@code maxNewTokens}; no KV cache, each step runs the whole sequence. Returns only the new tokens.
   */
  public long[] generateGreedy(long[] promptIds, int maxNewTokens, long eosId) {
    if (task != HfTask.CAUSAL_LM) {
      throw new IllegalStateException("generation needs a causal LM");
    }
    long[] ids = promptIds.clone();
    int n = 0;
    try (NDManager scratch = manager.newSubManager()) {
      while (n < maxNewTokens) {
        long next;
        try (NDManager step = scratch.newSubManager()) {
          NDArray in = step.create(ids, new Shape(1, ids.length));
          NDArray mask = step.ones(new Shape(1, ids.length), ai.djl.ndarray.types.DataType.INT64);
          try (TokenBatch b = new TokenBatch(in, mask, in.duplicate(), 1)) {
            NDArray logits = logits(b);
            next = logits.get(0).get(ids.length - 1).argMax().getLong();
          }
        }
        ids = java.util.Arrays.copyOf(ids, ids.length + 1);
        ids[ids.length - 1] = next;
        n++;
        if (next == eosId) {
          break;
        }
      }
    }
    return java.util.Arrays.copyOfRange(ids, promptIds.length, ids.length);
  }

  /** Base weights with every adapter merged in ({@code merge_and_unload}); new arrays for merged modules. */
  public LinkedHashMap<String, NDArray> mergedParameters(NDManager into) {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>(params);
    if (lora != null) {
      for (Map.Entry<String, LoraLinear> e : lora.adapters().entrySet()) {
        NDArray merged = e.getValue().mergedWeight();
        merged.attach(into);
        out.put(e.getKey() + ".weight", merged);
      }
    }
    return out;
  }

  @Override
  public void export(Path dir, boolean exportMerged) throws IOException {
    Files.createDirectories(dir);
    if (lora == null) {
      writeFullModel(dir, params);
      return;
    }
    LinkedHashMap<String, NDArray> adapter = trainableParameters();
    SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), adapter, SafetensorsWriter.PT_METADATA);
    List<String> save = modulesToSave().isEmpty() ? List.of() : List.of("classifier", "score");
    PeftAdapterConfig.write(dir, lora.spec(), lora.resolvedTargets(), peftTaskType(),
        source.toAbsolutePath().toString(), family().equals("gpt2"), save);
    if (exportMerged) {
      try (NDManager scratch = manager.newSubManager()) {
        writeFullModel(dir.resolve("merged"), mergedParameters(scratch));
      }
    }
  }

  private void writeFullModel(Path dir, Map<String, NDArray> tensors) throws IOException {
    Files.createDirectories(dir);
    SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, SafetensorsWriter.PT_METADATA);
    ObjectNode cfg = exportConfig();
    if (cfg.equals(ConfigJson.read(source).root())) {
      Files.copy(source.resolve("config.json"), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
    } else {
      Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfg) + "\n");
    }
    for (String f : TOKENIZER_FILES) {
      Path p = source.resolve(f);
      if (Files.isRegularFile(p)) {
        Files.copy(p, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }

  // ---- loading helpers shared by the families

  /**
   * Loads every tensor the name table resolves from {@code dir}'s safetensors into {@code manager} as float32, checks
   * its shape, and returns them by canonical name in model order (optional tensors the checkpoint lacks are absent).
   */
  protected static LinkedHashMap<String, NDArray> loadWeights(Path dir, WeightMap map, NDManager manager,
      Device device) throws IOException {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    try (SafetensorsReader r = SafetensorsReader.open(dir)) {
      String src = "spec.model.source " + dir;
      LinkedHashMap<String, String> names = map.resolve(r.names(), src);
      for (Map.Entry<String, String> e : names.entrySet()) {
        map.checkShape(e.getKey(), r.entry(e.getValue()).shape(), src);
        NDArray t = r.load(e.getValue(), manager, device);
        t.setName(e.getKey());
        out.put(e.getKey(), t);
      }
    }
    return out;
  }

  /** HF's {@code _init_weights} for a new Linear: weight ~ N(0, std) from the job seed, bias 0. */
  protected static NDArray normalInit(NDManager manager, Device device, String name, long[] shape, double std,
      long seed) {
    int n = Math.toIntExact(new Shape(shape).size());
    float[] v = new float[n];
    SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextGaussian() * std);
    }
    return Scalars.ownedCopy(manager.create(v, new Shape(shape)).toDevice(device, false));
  }

  /** Makes every base parameter trainable (full fine-tune) or frozen (LoRA), keeping the others as they are. */
  protected static void setTrainable(Map<String, NDArray> params, boolean trainable) {
    for (NDArray p : params.values()) {
      p.setRequiresGradient(trainable);
    }
  }

  protected static TrainerFailure wrongTask(String family, HfTask task, String supported) {
    return TrainerFailure.invalid("spec.data.task", task.specName,
        "is not supported for " + family + " models; supported: " + supported);
  }

  protected static List<String> list(String... s) {
    return new ArrayList<>(List.of(s));
  }
}
