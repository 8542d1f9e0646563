package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.lora.LoraSpec;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import dev.annealer.trainer.hf.weights.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BERT beyond the conformance case: LoRA with the classifier as modules_to_save, and a new head on an encoder. */
class HfBertVariantsTest {
  @TempDir
  Path tmp;

  @Test
  void loraTrainsAdaptersAndTheClassifierAndSavesBothAsPeftDoes() throws Exception {
    HfCase c = new HfCase("bert-cls-full");
    HfLoadOptions opts = HfLoadOptions.classification(4, 5)
        .withLora(new LoraSpec(2, 4, 0, List.of("query", "value", "dense")), null);
    Path out = tmp.resolve("adapter");
    float before;
    try (NDManager m = NDManager.newBaseManager(); HfModel model = HfModels.load(c.model(), opts, m);
        TextEncoder enc = HfModels.encoder(c.model(), opts, 48);
        TokenBatch b = HfGradientTest.firstBatch(c, enc, opts, m, 4)) {
      LinkedHashMap<String, NDArray> p = model.trainableParameters();
      // query, value, attention.output.dense, intermediate.dense, output.dense per layer, and bert.pooler.dense
      assertThat(p).hasSize((2 * 5 + 1) * 2 + 2);
      assertThat(p).containsKeys("base_model.model.bert.pooler.dense.lora_A.weight",
          "base_model.model.bert.encoder.layer.1.intermediate.dense.lora_B.weight",
          "base_model.model.classifier.weight", "base_model.model.classifier.bias");
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(model.loss(b));
      }
      assertThat(p.get("base_model.model.classifier.weight").getGradient().abs().sum().getFloat()).isGreaterThan(0);
      assertThat(model.baseParameters().get("bert.pooler.dense.weight").hasGradient()).isFalse();
      p.get("base_model.model.classifier.bias").addi(1f);
      before = model.loss(b).getFloat();
      model.export(out, true);
    }
    JsonNode cfg = HfCase.JSON.readTree(Files.readString(out.resolve("adapter_config.json")));
    assertThat(cfg.get("task_type").asText()).isEqualTo("SEQ_CLS");
    assertThat(cfg.get("modules_to_save").toString()).isEqualTo("[\"classifier\",\"score\"]");
    try (SafetensorsReader r = SafetensorsReader.open(out.resolve("adapter_model.safetensors"))) {
      assertThat(r.names()).contains("base_model.model.classifier.bias");
    }
    // continuing from the export restores the classifier too
    try (NDManager m = NDManager.newBaseManager();
        HfModel again = HfModels.load(c.model(), opts.withLora(opts.lora(), out), m);
        TextEncoder enc = HfModels.encoder(c.model(), opts, 48);
        TokenBatch b = HfGradientTest.firstBatch(c, enc, opts, m, 4)) {
      assertThat(again.loss(b).getFloat()).isEqualTo(before);
      try (HfModel merged = HfModels.load(out.resolve("merged"), HfLoadOptions.classification(4, 5), m)) {
        assertThat((double) merged.loss(b).getFloat()).isCloseTo(before, org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  @Test
  void anEncoderWithoutClassifierGetsANewHead() throws Exception {
    HfCase c = new HfCase("bert-cls-full");
    Path dir = Files.createDirectories(tmp.resolve("encoder"));
    for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
      Files.copy(c.model().resolve(f), dir.resolve(f));
    }
    try (NDManager m = NDManager.newBaseManager(); SafetensorsReader r = SafetensorsReader.open(c.model())) {
      LinkedHashMap<String, NDArray> w = new LinkedHashMap<>();
      for (String n : r.names()) {
        if (!n.startsWith("classifier")) {
          // a bare BertModel checkpoint: no "bert." prefix
          w.put(n.substring("bert.".length()), r.load(n, m, Device.cpu()));
        }
      }
      SafetensorsWriter.write(dir.resolve("model.safetensors"), w, SafetensorsWriter.PT_METADATA);
    }
    HfLoadOptions opts = HfLoadOptions.classification(3, 11);
    try (NDManager m = NDManager.newBaseManager(); HfModel model = HfModels.load(dir, opts, m)) {
      assertThat(model.warnings()).anySatisfy(w -> assertThat(w).contains("classifier.weight").contains("3 outputs"));
      NDArray head = model.trainableParameters().get("classifier.weight");
      assertThat(head.getShape().getShape()).containsExactly(3, 64);
      float std = (float) Math.sqrt(head.square().mean().getFloat());
      assertThat(std).isBetween(0.01f, 0.04f);
      Path out = tmp.resolve("final");
      model.export(out, false);
      JsonNode cfg = HfCase.JSON.readTree(Files.readString(out.resolve("config.json")));
      assertThat(cfg.get("id2label").size()).isEqualTo(3);
      try (SafetensorsReader r = SafetensorsReader.open(out)) {
        assertThat(r.names()).contains("bert.embeddings.word_embeddings.weight", "classifier.weight");
      }
    }
  }
}
