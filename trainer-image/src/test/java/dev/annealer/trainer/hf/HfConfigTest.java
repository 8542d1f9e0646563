package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.config.Activation;
import dev.annealer.trainer.hf.config.BertConfig;
import dev.annealer.trainer.hf.config.ConfigJson;
import dev.annealer.trainer.hf.config.DecoderConfig;
import dev.annealer.trainer.hf.config.FamilyConfig;
import dev.annealer.trainer.hf.config.Gpt2Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json parsing: HF's defaults, both RoPE spellings, and an InvalidSpec naming the key for what is not built. */
class HfConfigTest {
  @TempDir
  Path tmp;

  ObjectNode llamaConfig() throws IOException {
    return ConfigJson.read(new HfCase("llama-full").model()).root().deepCopy();
  }

  FamilyConfig parse(ObjectNode n) {
    return FamilyConfig.parse(new ConfigJson(n, "config.json"));
  }

  void rejects(ObjectNode n, String... fragments) {
    var a = assertThatThrownBy(() -> parse(n)).isInstanceOf(TrainerFailure.class)
        .satisfies(e -> assertThat(((TrainerFailure) e).reason()).isEqualTo(TrainerFailure.Reason.InvalidSpec));
    for (String f : fragments) {
      a.hasMessageContaining(f);
    }
  }

  ObjectNode edit(ObjectNode n, Consumer<ObjectNode> f) {
    f.accept(n);
    return n;
  }

  @Test
  void conformanceConfigsParse() throws Exception {
    DecoderConfig l = (DecoderConfig) FamilyConfig.read(new HfCase("llama-full").model());
    assertThat(l).isEqualTo(new DecoderConfig("llama", 400, 64, 176, 2, 4, 2, 16, 1e-5, 10000.0, Activation.SILU,
        false, false, false, false, null, 128, java.util.List.of()));
    Gpt2Config g = (Gpt2Config) FamilyConfig.read(new HfCase("gpt2-full").model());
    assertThat(g).isEqualTo(new Gpt2Config(400, 128, 64, 2, 4, 256, Activation.GELU_TANH, 1e-5, true, false, true,
        java.util.List.of()));
    BertConfig b = (BertConfig) FamilyConfig.read(new HfCase("bert-cls-full").model());
    assertThat(b.numLabels()).isEqualTo(4);
    assertThat(b.hiddenAct()).isEqualTo(Activation.GELU_ERF);
    assertThat(b.layerNormEps()).isEqualTo(1e-12);
  }

  @Test
  void unknownModelTypeNamesTheField() throws Exception {
    rejects(edit(llamaConfig(), n -> n.put("model_type", "falcon")), "spec.model.source config.json model_type",
        "falcon", "llama, mistral, qwen2, gpt2, bert");
    rejects(edit(llamaConfig(), n -> n.remove("model_type")), "config.json model_type");
  }

  @Test
  void ropeScalingIsRejectedNamingTheField() throws Exception {
    ObjectNode n = llamaConfig();
    n.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0);
    rejects(n, "spec.model.source config.json rope_scaling", "llama3", "only unscaled RoPE");
    ObjectNode p = llamaConfig();
    ((ObjectNode) p.get("rope_parameters")).put("rope_type", "linear").put("factor", 2.0);
    rejects(p, "config.json rope_parameters.rope_type", "linear");
    ObjectNode def = llamaConfig();
    def.putObject("rope_scaling").put("type", "default");
    assertThat(((DecoderConfig) parse(def)).ropeTheta()).isEqualTo(10000.0);
  }

  @Test
  void topLevelRopeThetaOfOlderConfigsIsRead() throws Exception {
    ObjectNode n = llamaConfig();
    n.remove("rope_parameters");
    n.put("rope_theta", 500000.0);
    n.putNull("rope_scaling");
    assertThat(((DecoderConfig) parse(n)).ropeTheta()).isEqualTo(500000.0);
    n.remove("rope_theta");
    assertThat(((DecoderConfig) parse(n)).ropeTheta()).isEqualTo(10000.0);
  }

  @Test
  void familyDefaultsAndFlags() throws Exception {
    ObjectNode q = edit(llamaConfig(), n -> {
      n.put("model_type", "qwen2");
      n.remove("attention_bias");
      n.remove("head_dim");
      n.put("tie_word_embeddings", true);
      n.put("sliding_window", 4096);
      n.put("use_sliding_window", false);
    });
    DecoderConfig qc = (DecoderConfig) parse(q);
    assertThat(qc.qkvBias()).isTrue();
    assertThat(qc.oBias()).isFalse();
    assertThat(qc.slidingWindow()).isNull();
    assertThat(qc.headDim()).isEqualTo(16);
    rejects(edit(q, n -> n.put("use_sliding_window", true)), "config.json use_sliding_window");

    ObjectNode m = edit(llamaConfig(), n -> n.put("model_type", "mistral"));
    assertThat(((DecoderConfig) parse(m)).slidingWindow()).isEqualTo(4096);
    assertThat(((DecoderConfig) parse(edit(m, n -> n.putNull("sliding_window")))).slidingWindow()).isNull();
    assertThat(((DecoderConfig) parse(edit(m, n -> n.put("sliding_window", 8)))).slidingWindow()).isEqualTo(8);

    ObjectNode bare = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("model_type", "llama");
    DecoderConfig d = (DecoderConfig) parse(bare);
    assertThat(d.vocabSize()).isEqualTo(32000);
    assertThat(d.numKvHeads()).isEqualTo(32);
    assertThat(d.headDim()).isEqualTo(128);
    assertThat(d.rmsNormEps()).isEqualTo(1e-6);
    assertThat(d.tieWordEmbeddings()).isFalse();
  }

  @Test
  void unsupportedOptionsNameTheirKey() throws Exception {
    rejects(edit(llamaConfig(), n -> n.put("hidden_act", "gelu_fast")), "config.json hidden_act", "gelu_fast");
    rejects(edit(llamaConfig(), n -> n.put("num_key_value_heads", 3)), "config.json num_key_value_heads");
    rejects(edit(llamaConfig(), n -> ((ObjectNode) n.get("rope_parameters")).put("partial_rotary_factor", 0.5)),
        "rope_parameters.partial_rotary_factor");
    ObjectNode g = ConfigJson.read(new HfCase("gpt2-full").model()).root().deepCopy();
    rejects(edit(g.deepCopy(), n -> n.put("add_cross_attention", true)), "config.json add_cross_attention");
    rejects(edit(g.deepCopy(), n -> n.put("activation_function", "quick_gelu")), "config.json activation_function");
    ObjectNode b = ConfigJson.read(new HfCase("bert-cls-full").model()).root().deepCopy();
    rejects(edit(b.deepCopy(), n -> n.put("position_embedding_type", "relative_key")),
        "config.json position_embedding_type");
    rejects(edit(b.deepCopy(), n -> n.put("problem_type", "multi_label_classification")), "config.json problem_type");
  }

  @Test
  void loadingAnUnsupportedDirectoryFailsBeforeAnyWeightIsRead() throws Exception {
    Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"t5\"}");
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> HfModels.load(tmp, HfLoadOptions.causalLM(1), m)).isInstanceOf(TrainerFailure.class)
          .hasMessageContaining("spec.model.source config.json model_type").hasMessageContaining("t5");
    }
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> HfModels.load(empty, HfLoadOptions.causalLM(1), m))
          .isInstanceOfSatisfying(TrainerFailure.class,
              e -> assertThat(e.reason()).isEqualTo(TrainerFailure.Reason.MissingFile))
          .hasMessageContaining("config.json");
    }
  }
}
