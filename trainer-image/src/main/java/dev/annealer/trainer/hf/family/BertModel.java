package dev.annealer.trainer.hf.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.HfLoadOptions;
import dev.annealer.trainer.hf.HfTask;
import dev.annealer.trainer.hf.TokenBatch;
import dev.annealer.trainer.hf.config.BertConfig;
import dev.annealer.trainer.hf.lora.LoraInjector;
import dev.annealer.trainer.hf.nn.LinearFactory;
import dev.annealer.trainer.hf.nn.LinearOp;
import dev.annealer.trainer.hf.ops.Ops;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import dev.annealer.trainer.hf.weights.WeightMap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * {@code BertForSequenceClassification} as {@code modeling_bert.py} computes it. A checkpoint without a classifier
 * (a pretrained encoder) gets a new one, as HF's {@code _init_weights} makes it: weight N(0, initializer_range) from
 * the job seed, bias 0 (reported in {@link #warnings()}).
 */
public final class BertModel extends HfModel {
  private final BertConfig cfg;
  private final int numLabels;
  private final List<Layer> layers = new ArrayList<>();
  private final List<String> linearModules = new ArrayList<>();
  private LinearOp pooler;
  private LinearOp classifier;

  private record Layer(LinearOp query, LinearOp key, LinearOp value, LinearOp attnOut, NDArray ln1w, NDArray ln1b,
      LinearOp intermediate, LinearOp output, NDArray ln2w, NDArray ln2b) {}

  /**
   * The name table: {@code bert.*} plus {@code classifier.*}; a bare {@code BertModel} checkpoint's keys get the
   * {@code bert.} prefix, TF-era {@code LayerNorm.gamma/beta} become {@code weight/bias}; {@code position_ids} /
   * {@code token_type_ids} buffers and the pretraining heads ({@code cls.*}) are dropped; the classifier may be
   * missing (new head).
   */
  public static WeightMap weightMap(BertConfig c, int numLabels) {
    WeightMap m = new WeightMap();
    long h = c.hiddenSize();
    long inter = c.intermediateSize();
    String e = "bert.embeddings.";
    m.param(e + "word_embeddings.weight", c.vocabSize(), h);
    m.param(e + "position_embeddings.weight", c.maxPositionEmbeddings(), h);
    m.param(e + "token_type_embeddings.weight", c.typeVocabSize(), h);
    m.param(e + "LayerNorm.weight", h).param(e + "LayerNorm.bias", h);
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "bert.encoder.layer." + i + ".";
      for (String n : List.of("attention.self.query", "attention.self.key", "attention.self.value",
          "attention.output.dense")) {
        m.param(p + n + ".weight", h, h).param(p + n + ".bias", h);
      }
      m.param(p + "attention.output.LayerNorm.weight", h).param(p + "attention.output.LayerNorm.bias", h);
      m.param(p + "intermediate.dense.weight", inter, h).param(p + "intermediate.dense.bias", inter);
      m.param(p + "output.dense.weight", h, inter).param(p + "output.dense.bias", h);
      m.param(p + "output.LayerNorm.weight", h).param(p + "output.LayerNorm.bias", h);
    }
    m.param("bert.pooler.dense.weight", h, h).param("bert.pooler.dense.bias", h);
    m.param("classifier.weight", numLabels, h).param("classifier.bias", numLabels);
    m.optional("classifier.weight").optional("classifier.bias");
    m.rule(WeightMap.Rule.drop("(bert\\.)?embeddings\\.(position_ids|token_type_ids)"));
    m.rule(WeightMap.Rule.drop("cls\\..*"));
    m.rule(WeightMap.Rule.alias("(.*LayerNorm)\\.gamma", "$1.weight"));
    m.rule(WeightMap.Rule.alias("(.*LayerNorm)\\.beta", "$1.bias"));
    m.rule(WeightMap.Rule.alias("((?:embeddings|encoder|pooler)\\..*)", "bert.$1"));
    return m;
  }

  public static BertModel load(Path dir, BertConfig c, HfLoadOptions opts, NDManager manager) throws IOException {
    int numLabels = switch (opts.task()) {
      case CLASSIFICATION -> opts.numLabels() != null ? opts.numLabels() : c.numLabels();
      case REGRESSION -> 1;
      case CAUSAL_LM -> throw wrongTask("bert", opts.task(), "classification, regression");
    };
    if (opts.task() == HfTask.CLASSIFICATION && numLabels < 2) {
      throw TrainerFailure.invalid("spec.data.task", "classification",
          "needs at least 2 labels (got " + numLabels + "; use regression for one output)");
    }
    if ("regression".equals(c.problemType()) && opts.task() == HfTask.CLASSIFICATION
        || "single_label_classification".equals(c.problemType()) && opts.task() == HfTask.REGRESSION) {
      throw TrainerFailure.invalid("spec.data.task", opts.task().specName,
          "contradicts config.json problem_type " + c.problemType());
    }
    WeightMap map = weightMap(c, numLabels);
    LinkedHashMap<String, NDArray> loaded = loadWeights(dir, map, manager, opts.device());
    List<String> warnings = new ArrayList<>();
    LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
    for (String name : map.expected().keySet()) {
      NDArray p = loaded.get(name);
      if (p == null) {
        long[] shape = map.expected().get(name);
        p = name.endsWith(".bias") ? manager.zeros(new ai.djl.ndarray.types.Shape(shape), DataType.FLOAT32,
            opts.device()) : normalInit(manager, opts.device(), name, shape, c.initializerRange(), opts.seed());
        p.setName(name);
        warnings.add(name);
      }
      params.put(name, p);
    }
    setTrainable(params, opts.lora() == null);
    LoraInjector lora = null;
    Set<String> extraInit = new HashSet<>();
    if (opts.lora() != null) {
      lora = new LoraInjector(opts.lora(), opts.seed(), manager, opts.device(), opts.loraInitFrom(),
          Set.of("classifier"));
      // PEFT's modules_to_save: the classifier trains in full next to the adapters, and is saved with them
      SafetensorsReader init = lora.initReader();
      for (String suffix : List.of(".weight", ".bias")) {
        String name = "classifier" + suffix;
        String key = LoraInjector.PREFIX + name;
        if (init != null && init.names().contains(key)) {
          map.checkShape(name, init.entry(key).shape(), "spec.model.lora.initFrom");
          NDArray saved = init.load(key, manager, opts.device());
          saved.setName(name);
          params.put(name, saved).close();
          extraInit.add(key);
        }
        params.get(name).setRequiresGradient(true);
      }
    }
    BertModel model = new BertModel(dir, manager, c, map, params, opts.task(), numLabels);
    if (!warnings.isEmpty() && extraInit.isEmpty()) {
      model.warnings.add(dir + " has no " + warnings + ": a new classification head with " + numLabels
          + " outputs is initialized from the job seed (N(0, " + c.initializerRange() + "), bias 0)");
    }
    model.lora = lora;
    LinearFactory linears = lora == null ? LinearFactory.PLAIN : lora;
    model.build(linears);
    if (model.lora != null) {
      model.lora.finish(model.linearModules, extraInit);
    }
    return model;
  }

  private BertModel(Path source, NDManager manager, BertConfig cfg, WeightMap map,
      LinkedHashMap<String, NDArray> params, HfTask task, int numLabels) {
    super(source, manager, task, map, params);
    this.cfg = cfg;
    this.numLabels = numLabels;
  }

  private void build(LinearFactory f) {
    for (int i = 0; i < cfg.numLayers(); i++) {
      String p = "bert.encoder.layer." + i + ".";
      layers.add(new Layer(lin(f, p + "attention.self.query"), lin(f, p + "attention.self.key"),
          lin(f, p + "attention.self.value"), lin(f, p + "attention.output.dense"),
          params.get(p + "attention.output.LayerNorm.weight"), params.get(p + "attention.output.LayerNorm.bias"),
          lin(f, p + "intermediate.dense"), lin(f, p + "output.dense"), params.get(p + "output.LayerNorm.weight"),
          params.get(p + "output.LayerNorm.bias")));
    }
    pooler = lin(f, "bert.pooler.dense");
    classifier = LinearFactory.PLAIN.linear("classifier", params.get("classifier.weight"),
        params.get("classifier.bias"), false);
  }

  private LinearOp lin(LinearFactory f, String module) {
    linearModules.add(module);
    return f.linear(module, params.get(module + ".weight"), params.get(module + ".bias"), false);
  }

  @Override
  public BertConfig config() {
    return cfg;
  }

  public int numLabels() {
    return numLabels;
  }

  @Override
  protected List<String> linearModules() {
    return linearModules;
  }

  @Override
  protected List<String> modulesToSave() {
    return List.of("classifier");
  }

  @Override
  protected ObjectNode exportConfig() {
    ObjectNode c = super.exportConfig();
    if (numLabels != cfg.numLabels() || task == HfTask.REGRESSION) {
      ObjectNode id2label = c.putObject("id2label");
      ObjectNode label2id = c.putObject("label2id");
      for (int i = 0; i < numLabels; i++) {
        id2label.put(Integer.toString(i), "LABEL_" + i);
        label2id.put("LABEL_" + i, i);
      }
      c.remove("num_labels");
    }
    if (task == HfTask.REGRESSION) {
      c.put("problem_type", "regression");
    }
    return c;
  }

  @Override
  protected NDArray forward(TokenBatch batch) {
    NDArray ids = batch.inputIds();
    long t = ids.getShape().get(1);
    if (t > cfg.maxPositionEmbeddings()) {
      throw new IllegalArgumentException("sequence of " + t + " tokens exceeds max_position_embeddings "
          + cfg.maxPositionEmbeddings());
    }
    String e = "bert.embeddings.";
    NDArray positions = ids.getManager().arange(0, t, 1, DataType.INT64).expandDims(0);
    // BertEmbeddings: (inputs_embeds + token_type_embeddings) + position_embeddings, token types all 0
    NDArray tokenType0 = params.get(e + "token_type_embeddings.weight").get(0);
    NDArray x = Ops.embedding(ids, params.get(e + "word_embeddings.weight")).add(tokenType0)
        .add(Ops.embedding(positions, params.get(e + "position_embeddings.weight")));
    double eps = cfg.layerNormEps();
    NDArray h = Ops.layerNorm(x, params.get(e + "LayerNorm.weight"), params.get(e + "LayerNorm.bias"), eps);
    NDArray mask = Ops.paddingMask(batch.attentionMask());
    int heads = cfg.numHeads();
    int d = cfg.headDim();
    NDArray scale = scalars.of(Math.pow(d, -0.5));
    for (Layer l : layers) {
      NDArray q = Ops.splitHeads(l.query.forward(h), heads, d);
      NDArray k = Ops.splitHeads(l.key.forward(h), heads, d);
      NDArray v = Ops.splitHeads(l.value.forward(h), heads, d);
      NDArray ctx = Ops.mergeHeads(Ops.attention(q, k, v, mask, scale));
      // BertSelfOutput: LayerNorm(dense(ctx) + input)
      NDArray a = Ops.layerNorm(l.attnOut.forward(ctx).add(h), l.ln1w, l.ln1b, eps);
      // BertIntermediate, BertOutput: LayerNorm(dense(act(dense(a))) + a)
      NDArray inter = Ops.activation(l.intermediate.forward(a), cfg.hiddenAct(), scalars);
      h = Ops.layerNorm(l.output.forward(inter).add(a), l.ln2w, l.ln2b, eps);
    }
    // BertPooler: tanh(dense(h[:, 0]))
    NDArray pooled = pooler.forward(h.get(":, 0, :")).tanh();
    return classifier.forward(pooled);
  }
}
