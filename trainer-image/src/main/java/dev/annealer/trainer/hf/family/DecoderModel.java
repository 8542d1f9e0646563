package dev.annealer.trainer.hf.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.annealer.trainer.hf.HfLoadOptions;
import dev.annealer.trainer.hf.HfTask;
import dev.annealer.trainer.hf.TokenBatch;
import dev.annealer.trainer.hf.config.DecoderConfig;
import dev.annealer.trainer.hf.nn.LinearFactory;
import dev.annealer.trainer.hf.nn.LinearOp;
import dev.annealer.trainer.hf.ops.Ops;
import dev.annealer.trainer.hf.weights.WeightMap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code LlamaForCausalLM}, {@code MistralForCausalLM}, {@code Qwen2ForCausalLM}: one builder for the three, as
 * {@code modeling_llama.py} computes them (the other two files are copies of it with the flags of
 * {@link DecoderConfig}).
 */
public final class DecoderModel extends HfModel {
  private final DecoderConfig cfg;
  private final NDArray embed;
  private final NDArray finalNorm;
  private LinearOp lmHead;
  private final List<Layer> layers = new ArrayList<>();
  private final List<String> linearModules = new ArrayList<>();
  private final Map<Long, NDList> tables = new ConcurrentHashMap<>();

  private record Layer(NDArray inputNorm, LinearOp q, LinearOp k, LinearOp v, LinearOp o, NDArray postNorm,
      LinearOp gate, LinearOp up, LinearOp down) {}

  /** The name table: {@code model.embed_tokens}, {@code model.layers.N.*}, {@code model.norm}, {@code lm_head}. */
  public static WeightMap weightMap(DecoderConfig c) {
    WeightMap m = new WeightMap();
    long h = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    long inter = c.intermediateSize();
    m.param("model.embed_tokens.weight", c.vocabSize(), h);
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      m.param(p + "input_layernorm.weight", h);
      linear(m, p + "self_attn.q_proj", q, h, c.qkvBias());
      linear(m, p + "self_attn.k_proj", kv, h, c.qkvBias());
      linear(m, p + "self_attn.v_proj", kv, h, c.qkvBias());
      linear(m, p + "self_attn.o_proj", h, q, c.oBias());
      m.param(p + "post_attention_layernorm.weight", h);
      linear(m, p + "mlp.gate_proj", inter, h, c.mlpBias());
      linear(m, p + "mlp.up_proj", inter, h, c.mlpBias());
      linear(m, p + "mlp.down_proj", h, inter, c.mlpBias());
    }
    m.param("model.norm.weight", h);
    if (!c.tieWordEmbeddings()) {
      m.param("lm_head.weight", c.vocabSize(), h);
    } else {
      m.rule(WeightMap.Rule.drop("lm_head\\.weight")); // tied: the embedding is the head
    }
    m.rule(WeightMap.Rule.drop("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq"));
    return m;
  }

  private static void linear(WeightMap m, String module, long out, long in, boolean bias) {
    m.param(module + ".weight", out, in);
    if (bias) {
      m.param(module + ".bias", out);
    }
  }

  public static DecoderModel load(Path dir, DecoderConfig c, HfLoadOptions opts, NDManager manager)
      throws IOException {
    if (opts.task() != HfTask.CAUSAL_LM) {
      throw wrongTask(c.modelType(), opts.task(), "causalLM");
    }
    WeightMap map = weightMap(c);
    LinkedHashMap<String, NDArray> params = loadWeights(dir, map, manager, opts.device());
    setTrainable(params, opts.lora() == null);
    DecoderModel model = new DecoderModel(dir, manager, c, map, params);
    model.buildLayers(opts, Set.of("lm_head"), model::build);
    return model;
  }

  private DecoderModel(Path source, NDManager manager, DecoderConfig cfg, WeightMap map,
      LinkedHashMap<String, NDArray> params) {
    super(source, manager, HfTask.CAUSAL_LM, map, params);
    this.cfg = cfg;
    this.embed = params.get("model.embed_tokens.weight");
    this.finalNorm = params.get("model.norm.weight");
  }

  private void build(LinearFactory f) {
    for (int i = 0; i < cfg.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      layers.add(new Layer(params.get(p + "input_layernorm.weight"),
          lin(f, p + "self_attn.q_proj"), lin(f, p + "self_attn.k_proj"), lin(f, p + "self_attn.v_proj"),
          lin(f, p + "self_attn.o_proj"), params.get(p + "post_attention_layernorm.weight"),
          lin(f, p + "mlp.gate_proj"), lin(f, p + "mlp.up_proj"), lin(f, p + "mlp.down_proj")));
    }
    if (cfg.tieWordEmbeddings()) {
      lmHead = LinearFactory.PLAIN.linear("lm_head", embed, null, false); // tied: never adapted
    } else {
      lmHead = lin(f, "lm_head");
    }
  }

  private LinearOp lin(LinearFactory f, String module) {
    linearModules.add(module);
    return f.linear(module, params.get(module + ".weight"), params.get(module + ".bias"), false);
  }

  /** RoPE cos/sin and the causal pattern for a sequence length, computed once on the model's device. */
  private NDList tables(long tokens) {
    return tables.computeIfAbsent(tokens, t -> {
      NDList rope = Ops.ropeCosSin(manager, t, cfg.headDim(), cfg.ropeTheta());
      NDList out = new NDList(rope.get(0), rope.get(1), Ops.causalAllowed(manager, t, cfg.slidingWindow()));
      NDScope.unregister(out); // outlives the forward's scope; closed with the model
      return out;
    });
  }

  @Override
  public DecoderConfig config() {
    return cfg;
  }

  @Override
  protected List<String> linearModules() {
    return linearModules;
  }

  @Override
  protected NDArray forward(TokenBatch batch) {
    NDArray ids = batch.inputIds();
    long t = ids.getShape().get(1);
    int d = cfg.headDim();
    NDList tables = tables(t);
    NDArray cos = tables.get(0);
    NDArray sin = tables.get(1);
    NDArray mask = Ops.causalMask(tables.get(2), batch.attentionMask());
    NDArray scale = scalars.of(Math.pow(d, -0.5)); // LlamaAttention.scaling = head_dim ** -0.5
    NDArray h = Ops.embedding(ids, embed);
    for (Layer l : layers) {
      // LlamaDecoderLayer: pre-norm attention, residual; pre-norm MLP, residual
      NDArray x = Ops.rmsNorm(h, l.inputNorm, cfg.rmsNormEps(), scalars);
      NDArray q = Ops.applyRope(Ops.splitHeads(l.q.forward(x), cfg.numHeads(), d), cos, sin);
      NDArray k = Ops.applyRope(Ops.splitHeads(l.k.forward(x), cfg.numKvHeads(), d), cos, sin);
      NDArray v = Ops.splitHeads(l.v.forward(x), cfg.numKvHeads(), d);
      NDArray attn = Ops.mergeHeads(Ops.attention(q, k, v, mask, scale));
      h = h.add(l.o.forward(attn));
      x = Ops.rmsNorm(h, l.postNorm, cfg.rmsNormEps(), scalars);
      // LlamaMLP: down_proj(act_fn(gate_proj(x)) * up_proj(x))
      NDArray mlp = l.down.forward(Ops.activation(l.gate.forward(x), cfg.hiddenAct(), scalars).mul(l.up.forward(x)));
      h = h.add(mlp);
    }
    h = Ops.rmsNorm(h, finalNorm, cfg.rmsNormEps(), scalars);
    return lmHead.forward(h);
  }
}
