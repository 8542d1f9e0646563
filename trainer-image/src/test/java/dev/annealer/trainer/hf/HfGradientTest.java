package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.data.TokenizedRecord;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.lora.LoraSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Autograd through the HF families: which parameters train, and that their gradients are there and finite. */
class HfGradientTest {

  static TokenBatch firstBatch(HfCase c, TextEncoder enc, HfLoadOptions opts, NDManager m, int n) {
    List<TokenizedRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      records.add(c.encode(enc, i));
    }
    return HfModels.batcher(enc, opts).batch(records, m);
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-full", "gpt2-full", "bert-cls-full"})
  void fullFineTuneHasAGradientForEveryWeight(String name) throws Exception {
    HfCase c = new HfCase(name);
    HfLoadOptions opts = HfConformanceTest.options(c);
    try (NDManager manager = NDManager.newBaseManager();
        HfModel model = HfModels.load(c.model(), opts, manager);
        TextEncoder enc = HfModels.encoder(c.model(), opts, c.maxLength());
        TokenBatch b = firstBatch(c, enc, opts, manager, 4)) {
      Map<String, NDArray> params = model.trainableParameters();
      assertThat(params.keySet()).containsExactlyElementsOf(model.baseParameters().keySet());
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(model.loss(b));
      }
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        float[] g = e.getValue().getGradient().toFloatArray();
        double norm = 0;
        for (float v : g) {
          assertThat(Float.isFinite(v)).as(e.getKey()).isTrue();
          norm += v * v;
        }
        if (!e.getKey().contains("position_embeddings") && !e.getKey().contains("wpe")
            && !e.getKey().contains("token_type")) {
          assertThat(norm).as("gradient of %s", e.getKey()).isGreaterThan(0);
        }
      }
    }
  }

  @Test
  void loraTrainsOnlyTheAdaptersAndTheirGradientMatchesAFiniteDifference() throws Exception {
    HfCase c = new HfCase("llama-lora");
    HfLoadOptions opts = HfConformanceTest.options(c);
    try (NDManager manager = NDManager.newBaseManager();
        HfModel model = HfModels.load(c.model(), opts, manager);
        TextEncoder enc = HfModels.encoder(c.model(), opts, c.maxLength());
        TokenBatch b = firstBatch(c, enc, opts, manager, 4)) {
      Map<String, NDArray> params = model.trainableParameters();
      assertThat(params.keySet()).containsExactly(
          "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
          "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
          "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
          "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
          "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
          "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
          "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight",
          "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
      for (NDArray base : model.baseParameters().values()) {
        assertThat(base.hasGradient()).isFalse();
      }
      float g;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(model.loss(b));
      }
      NDArray a = params.get("base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight");
      g = a.getGradient().getFloat(0, 0);
      // central difference in float32 on one entry
      float h = 1e-2f;
      float orig = a.getFloat(0, 0);
      a.set(new ai.djl.ndarray.index.NDIndex(0, 0), orig + h);
      double up = model.loss(b).getFloat();
      a.set(new ai.djl.ndarray.index.NDIndex(0, 0), orig - h);
      double down = model.loss(b).getFloat();
      a.set(new ai.djl.ndarray.index.NDIndex(0, 0), orig);
      assertThat((up - down) / (2 * h)).isCloseTo(g, org.assertj.core.data.Offset.offset(2e-3 + 0.02 * Math.abs(g)));
    }
  }

  @Test
  void defaultLoraInitLeavesTheBaseOutputsUnchanged() throws Exception {
    HfCase c = new HfCase("llama-lora");
    HfLoadOptions base = HfLoadOptions.causalLM(7);
    HfLoadOptions lora = base.withLora(new LoraSpec(8, 16, 0, List.of("q_proj", "k_proj", "v_proj", "o_proj",
        "gate_proj", "up_proj", "down_proj")), null);
    try (NDManager manager = NDManager.newBaseManager();
        HfModel m0 = HfModels.load(c.model(), base, manager);
        HfModel m1 = HfModels.load(c.model(), lora, manager);
        TextEncoder enc = HfModels.encoder(c.model(), base, c.maxLength());
        TokenBatch b = firstBatch(c, enc, base, manager, 2)) {
      assertThat(m1.trainableParameters()).hasSize(2 * 7 * 2);
      NDArray a = m1.trainableParameters().get("base_model.model.model.layers.0.mlp.up_proj.lora_A.weight");
      assertThat(a.getShape().getShape()).containsExactly(8, 64);
      float bound = (float) (1 / Math.sqrt(64));
      float[] av = a.toFloatArray();
      for (float v : av) {
        assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
      }
      assertThat(a.abs().max().getFloat()).isGreaterThan(0.5f * bound);
      assertThat(m1.trainableParameters().get("base_model.model.model.layers.0.mlp.up_proj.lora_B.weight")
          .abs().max().getFloat()).isZero();
      assertThat(m1.loss(b).getFloat()).isEqualTo(m0.loss(b).getFloat());
      // same seed, same adapters
      try (HfModel again = HfModels.load(c.model(), lora, manager)) {
        assertThat(again.trainableParameters().get("base_model.model.model.layers.0.mlp.up_proj.lora_A.weight")
            .toFloatArray()).containsExactly(av);
      }
    }
  }
}
