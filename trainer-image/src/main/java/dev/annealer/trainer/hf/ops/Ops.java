package dev.annealer.trainer.hf.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.annealer.trainer.hf.config.Activation;

/**
 * The numerics of the HF families, one libtorch op after another, in float32 (the trainer's dtype; where HF upcasts to
 * float32 the upcast is therefore the identity and is noted). Each method names the transformers code it mirrors.
 * Shapes: B batch, T tokens, H heads, KV key/value heads, D head dim, C hidden size, V vocabulary.
 */
public final class Ops {
  private Ops() {}

  /** {@code torch.finfo(torch.float32).min}: HF's additive mask value. */
  public static final float MASK_MIN = -Float.MAX_VALUE;

  /** Ignored label ({@code CrossEntropyLoss(ignore_index=-100)}). */
  public static final long IGNORE = -100;

  /** {@code nn.Linear} / {@code F.linear}: x·Wᵀ + b, W {@code [out, in]}; b may be null. */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias)).singletonOrThrow();
  }

  /**
   * {@code transformers.pytorch_utils.Conv1D}: {@code addmm(b, x, W)} with W {@code [in, out]} — the same product as
   * {@code F.linear(x, Wᵀ, b)}.
   */
  public static NDArray conv1d(NDArray x, NDArray weight, NDArray bias) {
    return linear(x, weight.transpose(), bias);
  }

  /** {@code nn.Embedding}: rows of {@code weight [V, C]} for int64 {@code ids [B, T]}. */
  public static NDArray embedding(NDArray ids, NDArray weight) {
    return Embedding.embedding(ids, weight, SparseFormat.DENSE).singletonOrThrow();
  }

  /**
   * {@code LlamaRMSNorm.forward}: {@code h = x.float(); var = h.pow(2).mean(-1, keepdim); h = h * rsqrt(var + eps);
   * weight * h.to(input_dtype)} (the casts are identities in float32; rsqrt as {@code pow(v, -0.5)}).
   */
  public static NDArray rmsNorm(NDArray x, NDArray weight, double eps, Scalars c) {
    NDArray variance = x.mul(x).mean(new int[] {-1}, true); // pow(2) is x*x in torch's kernel
    NDArray h = x.mul(variance.add(c.of(eps)).pow(c.of(-0.5)));
    return weight.mul(h);
  }

  /** {@code nn.LayerNorm} over the last axis ({@code F.layer_norm}). */
  public static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
    long c = x.getShape().get(x.getShape().dimension() - 1);
    return LayerNorm.layerNorm(x, new Shape(c), weight, bias, (float) eps).singletonOrThrow();
  }

  /** {@code ACT2FN[name]}. */
  public static NDArray activation(NDArray x, Activation act, Scalars c) {
    return switch (act) {
      case SILU -> x.mul(ai.djl.nn.Activation.sigmoid(x)); // nn.SiLU: x * sigmoid(x)
      case GELU_ERF -> ai.djl.nn.Activation.gelu(x); // F.gelu (erf) on the PyTorch engine
      case GELU_TANH -> geluTanh(x, c);
      case RELU -> ai.djl.nn.Activation.relu(x);
    };
  }

  /**
   * {@code NewGELUActivation}: {@code 0.5 * x * (1 + tanh(sqrt(2/π) * (x + 0.044715 * x³)))}, GPT-2's
   * {@code gelu_new}. ({@code Activation.gelu} on DJL's PyTorch engine is the erf GELU, a different function.)
   */
  public static NDArray geluTanh(NDArray x, Scalars c) {
    NDArray cube = x.mul(x).mul(x); // torch.pow(x, 3.0) is x*x*x in torch's kernel
    NDArray inner = x.add(cube.mul(c.of(0.044715))).mul(c.of(Math.sqrt(2.0 / Math.PI)));
    return x.mul(c.of(0.5)).mul(inner.tanh().add(c.of(1.0)));
  }

  /**
   * Default RoPE tables ({@code LlamaRotaryEmbedding} with {@code rope_type: default}, attention_scaling 1):
   * {@code inv_freq = 1 / θ^(arange(0, D, 2)/D)}, {@code freqs = positions ⊗ inv_freq},
   * {@code emb = cat(freqs, freqs)}; returns {@code [cos, sin]}, each {@code [T, D]}, for positions 0..T-1.
   */
  public static NDList ropeCosSin(NDManager manager, long tokens, int headDim, double theta) {
    NDArray exponent = manager.arange(0, headDim, 2, DataType.INT64).toType(DataType.FLOAT32, false).div(headDim);
    NDArray base = manager.create((float) theta);
    NDArray invFreq = base.pow(exponent).pow(-1.0); // 1.0 / (base ** exponent)
    NDArray positions = manager.arange(0, tokens, 1, DataType.INT64).toType(DataType.FLOAT32, false);
    NDArray freqs = positions.expandDims(1).mul(invFreq.expandDims(0)); // [T, D/2]; a K=1 matmul in HF
    NDArray emb = freqs.concat(freqs, 1);
    return new NDList(emb.cos(), emb.sin());
  }

  /** {@code rotate_half}: {@code cat(-x2, x1)} over the last axis. */
  public static NDArray rotateHalf(NDArray x) {
    int axis = x.getShape().dimension() - 1;
    long d = x.getShape().get(axis);
    NDList halves = x.split(new long[] {d / 2}, axis);
    return halves.get(1).neg().concat(halves.get(0), axis);
  }

  /** {@code apply_rotary_pos_emb} for one of q/k {@code [B, H, T, D]} with {@code cos, sin [T, D]}. */
  public static NDArray applyRope(NDArray x, NDArray cos, NDArray sin) {
    return x.mul(cos).add(rotateHalf(x).mul(sin));
  }

  /**
   * Which keys each query may see in a decoder, before padding ({@code create_causal_mask}, or
   * {@code create_sliding_window_causal_mask} when {@code window} is set): query t sees key s iff {@code s <= t} and
   * {@code s > t - window}. Float32 {@code [T, T]}, 1 = attended; constant per length, so models cache it.
   */
  public static NDArray causalAllowed(NDManager manager, long tokens, Integer window) {
    NDArray idx = manager.arange(0, tokens, 1, DataType.INT64);
    NDArray q = idx.expandDims(1);
    NDArray k = idx.expandDims(0);
    NDArray allowed = k.lte(q);
    if (window != null) {
      allowed = allowed.logicalAnd(k.gt(q.sub(window)));
    }
    return allowed.toType(DataType.FLOAT32, false);
  }

  /**
   * The additive mask of a decoder: {@link #causalAllowed} and the key is not padding.
   *
   * @param causalAllowed float32 {@code [T, T]} from {@link #causalAllowed}
   * @param attentionMask int64 {@code [B, T]}, 1 on tokens
   * @return float32 {@code [B, 1, T, T]}: 0 where attended, {@link #MASK_MIN} elsewhere
   */
  public static NDArray causalMask(NDArray causalAllowed, NDArray attentionMask) {
    Shape s = attentionMask.getShape();
    NDArray keys = attentionMask.toType(DataType.FLOAT32, false).reshape(s.get(0), 1, 1, s.get(1));
    return additive(keys.mul(causalAllowed));
  }

  /**
   * BERT's extended attention mask ({@code (1 - mask[:, None, None, :]) * finfo.min}): padding keys hidden.
   *
   * @return float32 {@code [B, 1, 1, T]}
   */
  public static NDArray paddingMask(NDArray attentionMask) {
    return additive(attentionMask.neq(0).expandDims(1).expandDims(1));
  }

  /** 0 where allowed, {@link #MASK_MIN} elsewhere: {@code (allowed - 1) * finfo.max}. */
  private static NDArray additive(NDArray allowed) {
    NDArray f = allowed.getDataType() == DataType.FLOAT32 ? allowed : allowed.toType(DataType.FLOAT32, false);
    return f.sub(1f).mul(Float.MAX_VALUE);
  }

  /**
   * Scaled dot-product attention with grouped-query heads ({@code eager_attention_forward} / SDPA math):
   * {@code softmax(q·kᵀ·scale + mask, float32) · v}, where query head h reads key/value head {@code h / (H/KV)}
   * ({@code repeat_kv}), done by broadcasting instead of copying.
   *
   * @param q {@code [B, H, T, D]}
   * @param k {@code [B, KV, T, D]}
   * @param v {@code [B, KV, T, D]}
   * @param mask additive, broadcastable to {@code [B, 1, T, T]}
   * @param scale 0-d float32 ({@link Scalars})
   * @return {@code [B, H, T, D]}
   */
  public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, NDArray scale) {
    Shape qs = q.getShape();
    long b = qs.get(0);
    long h = qs.get(1);
    long t = qs.get(2);
    long d = qs.get(3);
    long kv = k.getShape().get(1);
    if (kv == h) {
      NDArray scores = q.matMul(k.swapAxes(-1, -2)).mul(scale).add(mask);
      return scores.softmax(-1).matMul(v);
    }
    long rep = h / kv;
    NDArray q5 = q.reshape(b, kv, rep, t, d);
    NDArray scores = q5.matMul(k.expandDims(2).swapAxes(-1, -2)).mul(scale).add(mask.expandDims(2));
    NDArray out = scores.softmax(-1).matMul(v.expandDims(2)); // [B, KV, rep, T, D]
    return out.reshape(b, h, t, d);
  }

  /** {@code [B, T, H·D] -> [B, H, T, D]}. */
  public static NDArray splitHeads(NDArray x, long heads, long headDim) {
    Shape s = x.getShape();
    return x.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
  }

  /** {@code [B, H, T, D] -> [B, T, H·D]}. */
  public static NDArray mergeHeads(NDArray x) {
    Shape s = x.getShape();
    return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
  }

  /**
   * {@code ForCausalLMLoss}: cross-entropy of position t's logits against the label at t+1, mean over every label that
   * is not -100 in the batch.
   *
   * @param logits float32 {@code [B, T, V]}
   * @param labels int64 {@code [B, T]}
   */
  public static NDArray causalLmLoss(NDArray logits, NDArray labels) {
    NDArray shiftLogits = logits.get(":, :-1, :");
    NDArray shiftLabels = labels.get(":, 1:");
    return crossEntropy(shiftLogits, shiftLabels);
  }

  /** Mean cross-entropy over the labels that are not -100; logits {@code [..., V]}, labels int64 {@code [...]}. */
  public static NDArray crossEntropy(NDArray logits, NDArray labels) {
    NDArray valid = labels.neq(IGNORE);
    NDArray safe = labels.mul(valid.toType(DataType.INT64, false)); // -100 -> 0, masked out below
    NDArray logp = logits.logSoftmax(-1);
    NDArray picked = logp.gather(safe.expandDims(-1), -1).squeeze(-1);
    NDArray validF = valid.toType(DataType.FLOAT32, false);
    return picked.mul(validF).sum().neg().div(validF.sum());
  }

  /** {@code MSELoss} of {@code logits.squeeze()} against float labels: regression with {@code num_labels == 1}. */
  public static NDArray mseLoss(NDArray logits, NDArray labels) {
    // (diff * diff).mean(): no scalar meets the gradient path
    NDArray diff = logits.reshape(-1).sub(labels.reshape(-1).toType(DataType.FLOAT32, false));
    return diff.mul(diff).mean();
  }
}
