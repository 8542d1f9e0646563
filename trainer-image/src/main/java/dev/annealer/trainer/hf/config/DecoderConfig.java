package dev.annealer.trainer.hf.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.trainer.TrainerFailure;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Llama-style decoder: {@code llama}, {@code mistral}, {@code qwen2}. Pre-norm RMSNorm blocks, rotate-half RoPE,
 * grouped-query attention, gated MLP (SwiGLU with {@code silu}). The families differ only in defaults and flags:
 * Llama's {@code attention_bias} (q/k/v/o) and {@code mlp_bias}, Qwen2's q/k/v bias, Mistral's sliding window.
 *
 * @param slidingWindow keys attend to at most this many positions ending at the query (Mistral); null = full causal
 */
public record DecoderConfig(
    String modelType,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    Activation hiddenAct,
    boolean qkvBias,
    boolean oBias,
    boolean mlpBias,
    boolean tieWordEmbeddings,
    Integer slidingWindow,
    int maxPositionEmbeddings,
    List<String> ignoredDropout) implements FamilyConfig {

  /** HF's defaults per family ({@code LlamaConfig}, {@code MistralConfig}, {@code Qwen2Config}). */
  private record Defaults(int vocab, int hidden, int intermediate, int layers, int heads, Integer kvHeads, int maxPos) {}

  private static final Map<String, Defaults> DEFAULTS = Map.of(
      "llama", new Defaults(32000, 4096, 11008, 32, 32, null, 2048),
      "mistral", new Defaults(32000, 4096, 14336, 32, 32, 8, 4096 * 32),
      "qwen2", new Defaults(151936, 4096, 22016, 32, 32, 32, 32768));

  static DecoderConfig parse(ConfigJson c, String type) {
    Defaults d = DEFAULTS.get(type);
    int hidden = c.positive("hidden_size", d.hidden);
    int heads = c.positive("num_attention_heads", d.heads);
    int kvHeads = c.positive("num_key_value_heads", d.kvHeads == null ? heads : d.kvHeads);
    if (heads % kvHeads != 0) {
      throw TrainerFailure.invalid(c.field("num_key_value_heads"), kvHeads,
          "must divide num_attention_heads (" + heads + ")");
    }
    int headDim;
    if (c.has("head_dim")) {
      headDim = c.positive("head_dim", 0);
    } else {
      if (hidden % heads != 0) {
        throw TrainerFailure.invalid(c.field("hidden_size"), hidden,
            "must be a multiple of num_attention_heads (" + heads + ") when head_dim is not given");
      }
      headDim = hidden / heads;
    }
    if (headDim % 2 != 0) {
      throw TrainerFailure.invalid(c.field("head_dim"), headDim, "must be even (rotary embedding halves)");
    }
    double theta = ropeTheta(c);
    Activation act = Activation.parse(c, "hidden_act", "silu");

    boolean qkvBias;
    boolean oBias;
    boolean mlpBias = false;
    Integer window = null;
    switch (type) {
      case "llama" -> {
        qkvBias = c.bool("attention_bias", false);
        oBias = qkvBias;
        mlpBias = c.bool("mlp_bias", false);
      }
      case "qwen2" -> {
        qkvBias = true; // Qwen2Attention: q/k/v with bias, o_proj without
        oBias = false;
        if (c.bool("use_sliding_window", false)) {
          throw TrainerFailure.invalid(c.field("use_sliding_window"), true,
              "is not supported for qwen2 (layer-dependent sliding window); supported: false");
        }
        JsonNode types = c.node("layer_types");
        if (types != null) {
          for (JsonNode t : types) {
            if (!"full_attention".equals(t.asText())) {
              throw TrainerFailure.invalid(c.field("layer_types"), types, "supported: every layer full_attention");
            }
          }
        }
      }
      default -> { // mistral: no biases; sliding window on by default
        qkvBias = false;
        oBias = false;
        if (!c.root().has("sliding_window")) {
          window = 4096; // MistralConfig's default; an explicit null turns it off
        } else if (c.has("sliding_window")) {
          window = c.positive("sliding_window", 0);
        }
      }
    }
    // pretraining_tp only changes how transformers 4.x slices Llama's matmuls (same math): accepted as any value.
    int vocab = c.positive("vocab_size", d.vocab);
    return new DecoderConfig(type, vocab, hidden, c.positive("intermediate_size", d.intermediate),
        c.positive("num_hidden_layers", d.layers), heads, kvHeads, headDim, c.number("rms_norm_eps", 1e-6), theta,
        act, qkvBias, oBias, mlpBias, c.bool("tie_word_embeddings", false), window,
        c.positive("max_position_embeddings", d.maxPos), c.nonZero("attention_dropout"));
  }

  /**
   * {@code rope_parameters: {rope_type: default, rope_theta}} (transformers 5) or top-level {@code rope_theta} with
   * {@code rope_scaling: null} (earlier); only the default (unscaled) RoPE is implemented.
   */
  private static double ropeTheta(ConfigJson c) {
    double theta = c.number("rope_theta", 10000.0);
    JsonNode scaling = c.node("rope_scaling");
    if (scaling != null && !isDefaultRope(scaling)) {
      throw TrainerFailure.invalid(c.field("rope_scaling"), scaling,
          "is not supported: only unscaled RoPE (rope_scaling null or rope_type default)");
    }
    JsonNode p = c.node("rope_parameters");
    if (p != null) {
      if (!p.isObject() || !(p.has("rope_type") || p.has("rope_theta"))) {
        throw TrainerFailure.invalid(c.field("rope_parameters"), p,
            "supported: {rope_type: default, rope_theta: <number>} for every layer");
      }
      if (!isDefaultRope(p)) {
        throw TrainerFailure.invalid(c.field("rope_parameters.rope_type"), p.get("rope_type"),
            "is not supported: only rope_type default (no RoPE scaling)");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        switch (e.getKey()) {
          case "rope_type", "type" -> { }
          case "rope_theta" -> {
            if (!e.getValue().isNumber()) {
              throw TrainerFailure.invalid(c.field("rope_parameters.rope_theta"), e.getValue(), "must be a number");
            }
            theta = e.getValue().asDouble();
          }
          case "partial_rotary_factor" -> {
            if (!e.getValue().isNull() && e.getValue().asDouble() != 1.0) {
              throw TrainerFailure.invalid(c.field("rope_parameters.partial_rotary_factor"), e.getValue(),
                  "is not supported: only 1.0 (rotary on the whole head)");
            }
          }
          default -> {
            if (!e.getValue().isNull()) {
              throw TrainerFailure.invalid(c.field("rope_parameters." + e.getKey()), e.getValue(),
                  "is not supported with rope_type default (supported keys: rope_type, rope_theta)");
            }
          }
        }
      }
    }
    if (!(theta > 0)) {
      throw TrainerFailure.invalid(c.field("rope_theta"), theta, "must be positive");
    }
    return theta;
  }

  private static boolean isDefaultRope(JsonNode n) {
    if (!n.isObject()) {
      return false;
    }
    JsonNode t = n.has("rope_type") ? n.get("rope_type") : n.get("type");
    return t == null || t.isNull() || "default".equals(t.asText());
  }

  /** Query heads sharing one key/value head. */
  public int groups() {
    return numHeads / numKvHeads;
  }
}
