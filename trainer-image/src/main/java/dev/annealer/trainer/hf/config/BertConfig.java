package dev.annealer.trainer.hf.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.trainer.TrainerFailure;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT as {@code BertForSequenceClassification}: embeddings (word + position + token type, LayerNorm), post-LN encoder
 * layers, pooler {@code tanh(dense(h[:, 0]))} and a linear classifier. Defaults are {@code BertConfig}'s.
 *
 * @param numLabels from {@code id2label} (or {@code num_labels}; HF's default 2); 1 = regression
 * @param problemType {@code problem_type} if the file sets it, else null
 */
public record BertConfig(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int intermediateSize,
    Activation hiddenAct,
    int maxPositionEmbeddings,
    int typeVocabSize,
    double layerNormEps,
    double initializerRange,
    int numLabels,
    String problemType,
    List<String> ignoredDropout) implements FamilyConfig {

  @Override
  public String modelType() {
    return "bert";
  }

  public int headDim() {
    return hiddenSize / numHeads;
  }

  static BertConfig parse(ConfigJson c) {
    int hidden = c.positive("hidden_size", 768);
    int heads = c.positive("num_attention_heads", 12);
    if (hidden % heads != 0) {
      throw TrainerFailure.invalid(c.field("hidden_size"), hidden,
          "must be a multiple of num_attention_heads (" + heads + ")");
    }
    c.require("position_embedding_type", "absolute", "is not supported; supported: absolute");
    if (c.bool("is_decoder", false)) {
      throw TrainerFailure.invalid(c.field("is_decoder"), true, "is not supported (BERT as an encoder)");
    }
    if (c.bool("add_cross_attention", false)) {
      throw TrainerFailure.invalid(c.field("add_cross_attention"), true, "is not supported");
    }
    int numLabels;
    JsonNode id2label = c.node("id2label");
    if (id2label != null && id2label.size() > 0) {
      numLabels = id2label.size();
    } else {
      numLabels = c.positive("num_labels", 2);
    }
    String problem = c.string("problem_type", null);
    if (problem != null && !problem.equals("single_label_classification") && !problem.equals("regression")) {
      throw TrainerFailure.invalid(c.field("problem_type"), problem,
          "is not supported; supported: single_label_classification, regression");
    }
    List<String> dropout = new ArrayList<>(c.nonZero("hidden_dropout_prob", "attention_probs_dropout_prob",
        "classifier_dropout"));
    return new BertConfig(c.positive("vocab_size", 30522), hidden, c.positive("num_hidden_layers", 12), heads,
        c.positive("intermediate_size", 3072), Activation.parse(c, "hidden_act", "gelu"),
        c.positive("max_position_embeddings", 512), c.positive("type_vocab_size", 2),
        c.number("layer_norm_eps", 1e-12), c.number("initializer_range", 0.02), numLabels, problem,
        List.copyOf(dropout));
  }
}
