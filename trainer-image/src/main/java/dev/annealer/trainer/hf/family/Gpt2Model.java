package dev.annealer.trainer.hf.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.annealer.trainer.hf.HfLoadOptions;
import dev.annealer.trainer.hf.HfTask;
import dev.annealer.trainer.hf.TokenBatch;
import dev.annealer.trainer.hf.config.Gpt2Config;
import dev.annealer.trainer.hf.nn.LinearFactory;
import dev.annealer.trainer.hf.nn.LinearOp;
import dev.annealer.trainer.hf.ops.Ops;
import dev.annealer.trainer.hf.weights.WeightMap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/** {@code GPT2LMHeadModel} as {@code modeling_gpt2.py} computes it. */
public final class Gpt2Model extends HfModel {
  private final Gpt2Config cfg;
  private final NDArray wte;
  private final NDArray wpe;
  private final List<Block> blocks = new ArrayList<>();
  private final List<String> linearModules = new ArrayList<>();
  private LinearOp lmHead;
  private final java.util.Map<Long, NDArray> causal = new java.util.concurrent.ConcurrentHashMap<>();

  private record Block(NDArray ln1w, NDArray ln1b, LinearOp cAttn, LinearOp attnProj, NDArray ln2w, NDArray ln2b,
      LinearOp cFc, LinearOp mlpProj) {}

  /**
   * The name table: {@code transformer.*} (checkpoints of a bare {@code GPT2Model} lack the prefix: aliased), the
   * causal-mask buffers {@code attn.bias}/{@code attn.masked_bias} dropped, {@code lm_head} only when untied.
   */
  public static WeightMap weightMap(Gpt2Config c) {
    WeightMap m = new WeightMap();
    long e = c.nEmbd();
    m.param("transformer.wte.weight", c.vocabSize(), e);
    m.param("transformer.wpe.weight", c.nPositions(), e);
    for (int i = 0; i < c.nLayer(); i++) {
      String p = "transformer.h." + i + ".";
      m.param(p + "ln_1.weight", e).param(p + "ln_1.bias", e);
      m.param(p + "attn.c_attn.weight", e, 3 * e).param(p + "attn.c_attn.bias", 3 * e);
      m.param(p + "attn.c_proj.weight", e, e).param(p + "attn.c_proj.bias", e);
      m.param(p + "ln_2.weight", e).param(p + "ln_2.bias", e);
      m.param(p + "mlp.c_fc.weight", e, c.innerSize()).param(p + "mlp.c_fc.bias", c.innerSize());
      m.param(p + "mlp.c_proj.weight", c.innerSize(), e).param(p + "mlp.c_proj.bias", e);
    }
    m.param("transformer.ln_f.weight", e).param("transformer.ln_f.bias", e);
    if (!c.tieWordEmbeddings()) {
      m.param("lm_head.weight", c.vocabSize(), e);
    } else {
      m.rule(WeightMap.Rule.drop("lm_head\\.weight"));
    }
    m.rule(WeightMap.Rule.drop("(transformer\\.)?h\\.\\d+\\.attn\\.(bias|masked_bias)"));
    m.rule(WeightMap.Rule.alias("((?:wte|wpe|ln_f|h\\.\\d+\\..*)\\.(?:weight|bias))", "transformer.$1"));
    return m;
  }

  public static Gpt2Model load(Path dir, Gpt2Config c, HfLoadOptions opts, NDManager manager) throws IOException {
    if (opts.task() != HfTask.CAUSAL_LM) {
      throw wrongTask("gpt2", opts.task(), "causalLM");
    }
    WeightMap map = weightMap(c);
    LinkedHashMap<String, NDArray> params = loadWeights(dir, map, manager, opts.device());
    setTrainable(params, opts.lora() == null);
    Gpt2Model model = new Gpt2Model(dir, manager, c, map, params);
    model.buildLayers(opts, Set.of("lm_head"), model::build);
    return model;
  }

  private Gpt2Model(Path source, NDManager manager, Gpt2Config cfg, WeightMap map,
      LinkedHashMap<String, NDArray> params) {
    super(source, manager, HfTask.CAUSAL_LM, map, params);
    this.cfg = cfg;
    this.wte = params.get("transformer.wte.weight");
    this.wpe = params.get("transformer.wpe.weight");
  }

  private void build(LinearFactory f) {
    for (int i = 0; i < cfg.nLayer(); i++) {
      String p = "transformer.h." + i + ".";
      blocks.add(new Block(params.get(p + "ln_1.weight"), params.get(p + "ln_1.bias"), conv(f, p + "attn.c_attn"),
          conv(f, p + "attn.c_proj"), params.get(p + "ln_2.weight"), params.get(p + "ln_2.bias"),
          conv(f, p + "mlp.c_fc"), conv(f, p + "mlp.c_proj")));
    }
    if (cfg.tieWordEmbeddings()) {
      lmHead = LinearFactory.PLAIN.linear("lm_head", wte, null, false);
    } else {
      linearModules.add("lm_head");
      lmHead = f.linear("lm_head", params.get("lm_head.weight"), null, false);
    }
  }

  private LinearOp conv(LinearFactory f, String module) {
    linearModules.add(module);
    return f.linear(module, params.get(module + ".weight"), params.get(module + ".bias"), true);
  }

  @Override
  public Gpt2Config config() {
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
    if (t > cfg.nPositions()) {
      throw new IllegalArgumentException("sequence of " + t + " tokens exceeds n_positions " + cfg.nPositions());
    }
    int heads = cfg.nHead();
    int d = cfg.headDim();
    NDArray positions = ids.getManager().arange(0, t, 1, DataType.INT64).expandDims(0);
    NDArray mask = Ops.causalMask(causal.computeIfAbsent(t, n -> {
      NDArray a = Ops.causalAllowed(manager, n, null);
      NDScope.unregister(a); // cached with the model
      return a;
    }), batch.attentionMask());
    // GPT2Model.forward: hidden = inputs_embeds + position_embeds
    NDArray h = Ops.embedding(ids, wte).add(Ops.embedding(positions, wpe));
    for (int i = 0; i < blocks.size(); i++) {
      Block b = blocks.get(i);
      double scale = cfg.scaleAttnWeights() ? Math.pow(d, -0.5) : 1.0;
      if (cfg.scaleAttnByInverseLayerIdx()) {
        scale /= i + 1;
      }
      NDArray x = Ops.layerNorm(h, b.ln1w, b.ln1b, cfg.layerNormEps());
      // GPT2Attention: query, key, value = c_attn(x).split(n_embd, dim=2)
      NDList qkv = b.cAttn.forward(x).split(3, 2);
      NDArray q = Ops.splitHeads(qkv.get(0), heads, d);
      NDArray k = Ops.splitHeads(qkv.get(1), heads, d);
      NDArray v = Ops.splitHeads(qkv.get(2), heads, d);
      NDArray attn = b.attnProj.forward(Ops.mergeHeads(Ops.attention(q, k, v, mask, scalars.of(scale))));
      h = attn.add(h);
      x = Ops.layerNorm(h, b.ln2w, b.ln2b, cfg.layerNormEps());
      // GPT2MLP: c_proj(act(c_fc(x)))
      NDArray mlp = b.mlpProj.forward(Ops.activation(b.cFc.forward(x), cfg.activation(), scalars));
      h = h.add(mlp);
    }
    h = Ops.layerNorm(h, params.get("transformer.ln_f.weight"), params.get("transformer.ln_f.bias"),
        cfg.layerNormEps());
    return lmHead.forward(h);
  }
}
