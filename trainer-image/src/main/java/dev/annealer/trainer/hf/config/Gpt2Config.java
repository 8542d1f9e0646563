package dev.annealer.trainer.hf.config;

import dev.annealer.trainer.TrainerFailure;
import java.util.List;

/**
 * GPT-2 ({@code GPT2LMHeadModel}): learned positions, pre-LN blocks, fused {@code c_attn}, {@code Conv1D} weights
 * stored {@code [in, out]}. Keys as {@code config.json} spells them ({@code n_embd}, {@code n_head}, ...); defaults are
 * {@code GPT2Config}'s.
 *
 * @param innerSize {@code n_inner}, null in the file = 4·n_embd
 * @param scaleAttnWeights divide scores by √head_dim
 * @param scaleAttnByInverseLayerIdx additionally divide layer i's scores by i+1
 */
public record Gpt2Config(
    int vocabSize,
    int nPositions,
    int nEmbd,
    int nLayer,
    int nHead,
    int innerSize,
    Activation activation,
    double layerNormEps,
    boolean scaleAttnWeights,
    boolean scaleAttnByInverseLayerIdx,
    boolean tieWordEmbeddings,
    List<String> ignoredDropout) implements FamilyConfig {

  @Override
  public String modelType() {
    return "gpt2";
  }

  public int headDim() {
    return nEmbd / nHead;
  }

  static Gpt2Config parse(ConfigJson c) {
    int embd = c.positive("n_embd", 768);
    int head = c.positive("n_head", 12);
    if (embd % head != 0) {
      throw TrainerFailure.invalid(c.field("n_embd"), embd, "must be a multiple of n_head (" + head + ")");
    }
    if (c.bool("add_cross_attention", false)) {
      throw TrainerFailure.invalid(c.field("add_cross_attention"), true, "is not supported (decoder-only GPT-2)");
    }
    // reorder_and_upcast_attn only reorders the fp16 score computation; in float32 it is the same math.
    Integer inner = c.optInteger("n_inner");
    return new Gpt2Config(c.positive("vocab_size", 50257), c.positive("n_positions", 1024), embd,
        c.positive("n_layer", 12), head, inner == null ? 4 * embd : inner,
        Activation.parse(c, "activation_function", "gelu_new"), c.number("layer_norm_epsilon", 1e-5),
        c.bool("scale_attn_weights", true), c.bool("scale_attn_by_inverse_layer_idx", false),
        c.bool("tie_word_embeddings", true), c.nonZero("attn_pdrop", "embd_pdrop", "resid_pdrop"));
  }
}
