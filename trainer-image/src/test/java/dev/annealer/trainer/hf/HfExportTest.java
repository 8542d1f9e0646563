package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.lora.LoraSpec;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Export: what transformers/peft load, byte-identical on a round trip, and the merged LoRA model. */
class HfExportTest {
  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"llama-full", "gpt2-full", "bert-cls-full"})
  void fullExportRoundTripsByteForByte(String name) throws Exception {
    HfCase c = new HfCase(name);
    HfLoadOptions opts = HfConformanceTest.options(c);
    Path out = tmp.resolve("final");
    try (NDManager m = NDManager.newBaseManager(); HfModel model = HfModels.load(c.model(), opts, m)) {
      model.export(out, false);
    }
    for (String f : List.of("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json")) {
      assertThat(Files.readAllBytes(out.resolve(f))).as(f).isEqualTo(Files.readAllBytes(c.model().resolve(f)));
    }
    // the export is itself a model source
    try (NDManager m = NDManager.newBaseManager(); HfModel again = HfModels.load(out, opts, m)) {
      assertThat(again.trainableParameters().keySet()).containsExactlyElementsOf(
          HfModels.load(c.model(), opts, m).trainableParameters().keySet());
    }
  }

  @Test
  void loraExportIsAPeftAdapterDirectoryAndRoundTrips() throws Exception {
    HfCase c = new HfCase("llama-lora");
    HfLoadOptions opts = HfConformanceTest.options(c);
    Path out = tmp.resolve("final");
    try (NDManager m = NDManager.newBaseManager(); HfModel model = HfModels.load(c.model(), opts, m)) {
      model.export(out, false);
    }
    assertThat(Files.exists(out.resolve("merged"))).isFalse();
    Path init = c.dir.resolve("adapter-init");
    assertThat(Files.readAllBytes(out.resolve("adapter_model.safetensors")))
        .isEqualTo(Files.readAllBytes(init.resolve("adapter_model.safetensors")));
    JsonNode got = HfCase.JSON.readTree(Files.readString(out.resolve("adapter_config.json")));
    JsonNode want = HfCase.JSON.readTree(Files.readString(init.resolve("adapter_config.json")));
    for (String k : List.of("r", "lora_alpha", "lora_dropout", "target_modules", "peft_type", "task_type", "bias",
        "fan_in_fan_out", "use_dora", "use_rslora", "modules_to_save", "layers_to_transform", "rank_pattern",
        "alpha_pattern", "init_lora_weights", "inference_mode")) {
      assertThat(got.get(k)).as(k).isEqualTo(want.get(k));
    }
    assertThat(got.get("base_model_name_or_path").asText()).isEqualTo(c.model().toAbsolutePath().toString());
    // the exported adapter is itself an initFrom
    try (NDManager m = NDManager.newBaseManager();
        HfModel again = HfModels.load(c.model(), opts.withLora(opts.lora(), out), m)) {
      assertThat(again.trainableParameters()).hasSize(8);
    }
  }

  @Test
  void mergedExportEqualsPeftMergeAndUnload() throws Exception {
    HfCase c = new HfCase("llama-lora");
    Path expected = c.dir.resolve("expected");
    HfLoadOptions opts = HfLoadOptions.causalLM(1)
        .withLora(new LoraSpec(4, 8, 0, List.of("q_proj", "v_proj")), expected);
    Path out = tmp.resolve("final");
    try (NDManager m = NDManager.newBaseManager(); HfModel model = HfModels.load(c.model(), opts, m)) {
      model.export(out, true);
    }
    Path merged = out.resolve("merged");
    assertThat(merged.resolve("config.json")).hasSameTextualContentAs(c.model().resolve("config.json"));
    assertThat(merged.resolve("tokenizer.json")).exists();
    try (NDManager m = NDManager.newBaseManager();
        SafetensorsReader got = SafetensorsReader.open(merged.resolve("model.safetensors"));
        SafetensorsReader want = SafetensorsReader.open(expected.resolve("merged-model.safetensors"))) {
      assertThat(got.names()).containsExactlyElementsOf(want.names());
      double worst = 0;
      for (String n : want.names()) {
        NDArray a = got.load(n, m, Device.cpu());
        NDArray b = want.load(n, m, Device.cpu());
        worst = Math.max(worst, a.sub(b).abs().max().getFloat());
      }
      assertThat(worst).isLessThanOrEqualTo(1e-5);
      // and the merged weights really moved: q_proj differs from the base
      NDArray base = SafetensorsReader.open(c.model().resolve("model.safetensors"))
          .load("model.layers.0.self_attn.q_proj.weight", m, Device.cpu());
      assertThat(got.load("model.layers.0.self_attn.q_proj.weight", m, Device.cpu()).sub(base).abs().max()
          .getFloat()).isGreaterThan(1e-4f);
    }
  }

  @Test
  void gpt2LoraMergeTransposesConv1d() throws Exception {
    HfCase c = new HfCase("gpt2-full");
    HfLoadOptions opts = HfLoadOptions.causalLM(3)
        .withLora(new LoraSpec(2, 4, 0, List.of("c_attn", "c_proj", "c_fc")), null);
    Path out = tmp.resolve("final");
    try (NDManager m = NDManager.newBaseManager(); HfModel model = HfModels.load(c.model(), opts, m)) {
      assertThat(model.trainableParameters()).hasSize(2 * 4 * 2);
      assertThat(model.trainableParameters()).containsKey(
          "base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight");
      // make B non-zero so the merge is not trivial, then compare the merged model's logits with the adapter's
      for (var e : model.trainableParameters().entrySet()) {
        if (e.getKey().contains("lora_B")) {
          e.getValue().addi(m.randomNormal(0, 0.05f, e.getValue().getShape(),
              ai.djl.ndarray.types.DataType.FLOAT32));
        }
      }
      model.export(out, true);
      JsonNode cfg = HfCase.JSON.readTree(Files.readString(out.resolve("adapter_config.json")));
      assertThat(cfg.get("fan_in_fan_out").asBoolean()).isTrue();
      HfLoadOptions plain = HfLoadOptions.causalLM(3);
      try (HfModel merged = HfModels.load(out.resolve("merged"), plain, m);
          var enc = HfModels.encoder(c.model(), plain, c.maxLength());
          TokenBatch b = HfGradientTest.firstBatch(c, enc, plain, m, 2)) {
        NDArray x = model.logits(b);
        NDArray y = merged.logits(b);
        assertThat(x.sub(y).abs().max().getFloat()).isLessThan(1e-5f);
        assertThat(model.loss(b).getFloat()).isNotEqualTo(HfModels.load(c.model(), plain, m).loss(b).getFloat());
      }
    }
  }
}
