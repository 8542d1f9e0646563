package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.config.ConfigJson;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.lora.LoraSpec;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import dev.annealer.trainer.hf.weights.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Other configurations of the decoder family, built from the llama-full weights by renaming and reshaping: Qwen2 (q/k/v
 * bias, tied head), Mistral (sliding window), plain multi-head attention, and the errors for checkpoints that do not
 * match their config.
 */
class HfFamilyVariantsTest {
  @TempDir
  Path tmp;

  HfCase llama;
  NDManager m;

  /** A model directory: llama-full's tokenizer, an edited config.json and edited weights. */
  Path variant(String name, Consumer<ObjectNode> config, BiConsumer<LinkedHashMap<String, NDArray>, NDManager> weights)
      throws Exception {
    Path src = llama.model();
    Path dir = Files.createDirectories(tmp.resolve(name));
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(src.resolve(f), dir.resolve(f));
    }
    ObjectNode cfg = ConfigJson.read(src).root().deepCopy();
    config.accept(cfg);
    Files.writeString(dir.resolve("config.json"), cfg.toPrettyString());
    LinkedHashMap<String, NDArray> w = new LinkedHashMap<>();
    try (SafetensorsReader r = SafetensorsReader.open(src)) {
      for (String n : r.names()) {
        w.put(n, r.load(n, m, Device.cpu()));
      }
    }
    weights.accept(w, m);
    SafetensorsWriter.write(dir.resolve("model.safetensors"), w, SafetensorsWriter.PT_METADATA);
    return dir;
  }

  TokenBatch batch(Path dir, int n) throws Exception {
    HfLoadOptions o = HfLoadOptions.causalLM(1);
    try (TextEncoder enc = HfModels.encoder(dir, o, 48)) {
      return HfGradientTest.firstBatch(llama, enc, o, m, n);
    }
  }

  NDArray logits(Path dir, TokenBatch b) throws Exception {
    try (HfModel model = HfModels.load(dir, HfLoadOptions.causalLM(1), m)) {
      NDArray out = model.logits(b);
      out.attach(m);
      return out;
    }
  }

  static float maxDiff(NDArray a, NDArray b) {
    return a.sub(b).abs().max().getFloat();
  }

  @Test
  void qwen2WithZeroBiasAndATiedHeadIsLlamaWithATiedHead() throws Exception {
    llama = new HfCase("llama-full");
    try (NDManager manager = NDManager.newBaseManager()) {
      m = manager;
      Path tiedLlama = variant("llama-tied", c -> c.put("tie_word_embeddings", true),
          (w, mm) -> w.remove("lm_head.weight"));
      BiConsumer<LinkedHashMap<String, NDArray>, Float> biases = (w, scale) -> {
        w.remove("lm_head.weight");
        for (int i = 0; i < 2; i++) {
          for (String p : List.of("q_proj", "k_proj", "v_proj")) {
            String base = "model.layers." + i + ".self_attn." + p;
            long out = w.get(base + ".weight").getShape().get(0);
            w.put(base + ".bias", scale == 0 ? m.zeros(new Shape(out))
                : m.randomNormal(0, scale, new Shape(out), ai.djl.ndarray.types.DataType.FLOAT32));
          }
        }
      };
      Consumer<ObjectNode> qwen = c -> {
        c.put("model_type", "qwen2");
        c.put("tie_word_embeddings", true);
        c.remove("attention_bias");
        c.remove("mlp_bias");
        c.put("use_sliding_window", false);
        c.put("sliding_window", 4096);
        c.put("max_window_layers", 28);
      };
      Path qwenZero = variant("qwen-zero", qwen, (w, mm) -> biases.accept(w, 0f));
      Path qwenBias = variant("qwen-bias", qwen, (w, mm) -> biases.accept(w, 0.5f));
      TokenBatch b = batch(tiedLlama, 3);
      NDArray tied = logits(tiedLlama, b);
      assertThat(tied.getShape().getShape()).containsExactly(3, b.inputIds().getShape().get(1), 400);
      assertThat(maxDiff(logits(qwenZero, b), tied)).isZero();
      assertThat(maxDiff(logits(qwenBias, b), tied)).isGreaterThan(1e-3f);

      try (HfModel q = HfModels.load(qwenBias, HfLoadOptions.causalLM(1), m)) {
        assertThat(q.family()).isEqualTo("qwen2");
        var params = q.trainableParameters();
        assertThat(params).containsKey("model.layers.0.self_attn.q_proj.bias").doesNotContainKey("lm_head.weight")
            .doesNotContainKey("model.layers.0.self_attn.o_proj.bias");
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(q.loss(b));
        }
        assertThat(params.get("model.layers.1.self_attn.v_proj.bias").getGradient().abs().sum().getFloat())
            .isGreaterThan(0);
        // the tied head's gradient flows into the embedding, also for tokens that are never inputs
        NDArray g = params.get("model.embed_tokens.weight").getGradient();
        assertThat(g.get(399).abs().sum().getFloat()).isGreaterThan(0);
        Path out = tmp.resolve("qwen-export");
        q.export(out, false);
        try (SafetensorsReader r = SafetensorsReader.open(out)) {
          assertThat(r.names()).doesNotContain("lm_head.weight").contains("model.layers.0.self_attn.k_proj.bias");
        }
        assertThat(Files.readAllBytes(out.resolve("model.safetensors")))
            .isEqualTo(Files.readAllBytes(qwenBias.resolve("model.safetensors")));
      }
      // LoRA on a tied model: all-linear leaves the head alone
      try (HfModel q = HfModels.load(qwenBias, HfLoadOptions.causalLM(1)
          .withLora(new LoraSpec(2, 4, 0, List.of("all-linear")), null), m)) {
        assertThat(q.trainableParameters()).hasSize(2 * 7 * 2);
      }
      // a tied model whose file also carries lm_head.weight loads (the copy is dropped)
      Path both = variant("llama-tied-both", c -> c.put("tie_word_embeddings", true), (w, mm) -> { });
      assertThat(maxDiff(logits(both, b), tied)).isZero();
    }
  }

  @Test
  void mistralSlidingWindowLimitsWhatATokenSees() throws Exception {
    llama = new HfCase("llama-full");
    try (NDManager manager = NDManager.newBaseManager()) {
      m = manager;
      Path full = llama.model();
      Path wide = variant("mistral-wide", c -> c.put("model_type", "mistral").remove("attention_bias"), (w, mm) -> { });
      Path window3 = variant("mistral-3", c -> {
        c.put("model_type", "mistral").put("sliding_window", 3);
        c.remove("attention_bias");
      }, (w, mm) -> { });
      TokenBatch b = batch(full, 1);
      // default window 4096 > 48 tokens: the same as full causal attention
      assertThat(maxDiff(logits(wide, b), logits(full, b))).isZero();
      // change token 1: with a window of 3 over 2 layers, positions >= 1 + 2*(3-1) + 1 = 6 cannot see it
      NDArray ids = b.inputIds().duplicate();
      ids.set(new ai.djl.ndarray.index.NDIndex(0, 1), 77L);
      TokenBatch changed = new TokenBatch(ids, b.attentionMask(), b.labels(), 1);
      NDArray w0 = logits(window3, b);
      NDArray w1 = logits(window3, changed);
      assertThat(maxDiff(w0.get(":, 6:, :"), w1.get(":, 6:, :"))).isZero();
      assertThat(maxDiff(w0.get(":, 1:6, :"), w1.get(":, 1:6, :"))).isGreaterThan(1e-4f);
      NDArray f0 = logits(full, b);
      NDArray f1 = logits(full, changed);
      assertThat(maxDiff(f0.get(":, 6:, :"), f1.get(":, 6:, :"))).isGreaterThan(1e-4f);
    }
  }

  @Test
  void groupedQueryAttentionEqualsMultiHeadWithRepeatedKeyValueHeads() throws Exception {
    llama = new HfCase("llama-full");
    try (NDManager manager = NDManager.newBaseManager()) {
      m = manager;
      // 4 query heads over 2 kv heads == 4 kv heads where kv head h is the old kv head h / 2 (repeat_kv's order)
      Path mha = variant("llama-mha", c -> c.put("num_key_value_heads", 4), (w, mm) -> {
        for (int i = 0; i < 2; i++) {
          for (String p : List.of("k_proj", "v_proj")) {
            String n = "model.layers." + i + ".self_attn." + p + ".weight";
            NDArray old = w.get(n); // [2 * 16, 64]
            NDArray h0 = old.get("0:16, :");
            NDArray h1 = old.get("16:32, :");
            w.put(n, NDArrays.concat(new ai.djl.ndarray.NDList(h0, h0, h1, h1), 0));
          }
        }
      });
      TokenBatch b = batch(llama.model(), 2);
      assertThat(maxDiff(logits(mha, b), logits(llama.model(), b))).isLessThan(1e-5f);
    }
  }

  @Test
  void checkpointsThatDoNotMatchTheirConfigFailListingTheTensors() throws Exception {
    llama = new HfCase("llama-full");
    try (NDManager manager = NDManager.newBaseManager()) {
      m = manager;
      Path missingBias = variant("bias-missing", c -> c.put("attention_bias", true), (w, mm) -> { });
      assertThatThrownBy(() -> HfModels.load(missingBias, HfLoadOptions.causalLM(1), m))
          .isInstanceOf(TrainerFailure.class).hasMessageContaining("missing 8 tensor(s)")
          .hasMessageContaining("model.layers.0.self_attn.o_proj.bias");
      Path extra = variant("extra", c -> { }, (w, mm) -> {
        w.put("model.layers.0.self_attn.q_norm.weight", mm.ones(new Shape(16)));
        w.put("model.layers.0.self_attn.rotary_emb.inv_freq", mm.ones(new Shape(8)));
      });
      assertThatThrownBy(() -> HfModels.load(extra, HfLoadOptions.causalLM(1), m))
          .isInstanceOf(TrainerFailure.class).hasMessageContaining("unexpected 1 tensor(s)")
          .hasMessageContaining("model.layers.0.self_attn.q_norm.weight")
          .hasMessageNotContaining("inv_freq");
      Path shape = variant("shape", c -> c.put("num_key_value_heads", 4), (w, mm) -> { });
      assertThatThrownBy(() -> HfModels.load(shape, HfLoadOptions.causalLM(1), m))
          .isInstanceOf(TrainerFailure.class).hasMessageContaining("model.layers.0.self_attn.k_proj.weight")
          .hasMessageContaining("[32, 64]").hasMessageContaining("[64, 64]");
      assertThatThrownBy(() -> HfModels.load(llama.model(), HfLoadOptions.classification(2, 1), m))
          .isInstanceOf(TrainerFailure.class).hasMessageContaining("spec.data.task");
      assertThatThrownBy(() -> HfModels.load(llama.model(), HfLoadOptions.causalLM(1)
          .withLora(new LoraSpec(2, 4, 0, List.of("q_proj", "query")), null), m))
          .isInstanceOf(TrainerFailure.class).hasMessageContaining("spec.model.lora.targetModules")
          .hasMessageContaining("[query]").hasMessageContaining("q_proj");
      assertThatThrownBy(() -> new LoraSpec(2, 4, 0.05, List.of("q_proj")))
          .isInstanceOf(TrainerFailure.class).hasMessageContaining("spec.model.lora.dropout");
    }
  }
}
