package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.annealer.trainer.Preemption;
import dev.annealer.trainer.TrainingRun;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.data.TokenBatcher;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.tools.Answer;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flagship example (examples/support-assistant-lora.yaml) as shipped: its base model is the one
 * hack/flagship/ describes and is really pretrained, and the job trains through the trainer (a few steps) into a
 * PEFT adapter plus a merged model that answer a held-out ticket alike.
 */
class FlagshipExampleTest {
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  static final Path BASE = ROOT.resolve("examples/models/support-base");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void baseModelIsTheCommittedArchitectureAndTokenizer() throws Exception {
    JsonNode cfg = JSON.readTree(BASE.resolve("config.json").toFile());
    JsonNode designed = JSON.readTree(ROOT.resolve("hack/flagship/config.json").toFile());
    for (String k : List.of("model_type", "hidden_size", "intermediate_size", "num_hidden_layers",
        "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size", "tie_word_embeddings")) {
      assertThat(cfg.get(k)).as(k).isEqualTo(designed.get(k));
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      assertThat(BASE.resolve(f)).as(f).hasSameBinaryContentAs(ROOT.resolve("hack/flagship/tokenizer").resolve(f));
    }
    assertThat(BASE.resolve("README.md")).content().contains("hack/flagship/make-base.sh", "License");
    long bytes = Files.size(BASE.resolve("model.safetensors"));
    assertThat(bytes).as("a few MB at most").isLessThan(6_000_000L);
  }

  /** Pretrained, not random: the corpus loss is far below ln(vocab) = 7.6, the loss of an untrained model. */
  @Test
  void baseModelIsPretrainedOnTheCorpus() throws Exception {
    HfLoadOptions opts = HfLoadOptions.causalLM(0);
    List<String> texts = new ArrayList<>();
    for (String line : Files.readAllLines(ROOT.resolve("examples/data/support-corpus.jsonl"))) {
      if (texts.size() < 16) {
        texts.add(JSON.readTree(line).get("text").asText());
      }
    }
    try (NDManager manager = NDManager.newBaseManager();
        HfModel model = HfModels.load(BASE, opts, manager);
        TextEncoder enc = HfModels.encoder(BASE, opts, 80)) {
      TokenBatcher batcher = HfModels.batcher(enc, opts);
      try (NDManager scratch = manager.newSubManager();
          TokenBatch batch = batcher.batch(texts.stream().map(enc::causalText).toList(), scratch)) {
        NDArray loss = model.loss(batch);
        assertThat(loss.getFloat()).isLessThan(2.0f);
      }
    }
  }

  @Test
  void theJobTrainsAFewStepsIntoAPeftAdapterAndAMergedModel() throws Exception {
    ObjectNode job = (ObjectNode) YAML.readTree(ROOT.resolve("examples/support-assistant-lora.yaml").toFile());
    ObjectNode spec = (ObjectNode) job.get("spec");
    ObjectNode model = (ObjectNode) spec.get("model");
    ObjectNode data = (ObjectNode) spec.get("data");
    // the example's own model, data and LoRA settings; paths made absolute, the budget cut to 6 steps
    model.put("source", ROOT.resolve(model.get("source").asText()).toString());
    data.put("train", ROOT.resolve(data.get("train").asText()).toString());
    data.put("validation", ROOT.resolve("examples/data/support-tickets-heldout.jsonl").toString());
    ObjectNode training = (ObjectNode) spec.get("training");
    training.put("maxSteps", 6);
    training.put("evalEverySteps", 6);
    ObjectNode schedule = (ObjectNode) spec.get("schedule");
    ((ObjectNode) schedule.get("warmup")).put("steps", 2);
    ((ObjectNode) schedule.get("period")).put("steps", 2);
    schedule.put("maxCycles", 2);
    ((ObjectNode) spec.get("checkpoint")).put("everySteps", 3);
    Path file = dir.resolve("job.yaml");
    YAML.writeValue(file.toFile(), job);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path ck = dir.resolve("ck");
    int code = new TrainingRun(new TrainingRun.Options(file, ck, "cpu", 1, null,
        Map.of("ANNEALER_TERMINATION_LOG", dir.resolve("term").toString()),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        false), new Preemption()).run();
    String stdout = out.toString(StandardCharsets.UTF_8);
    assertThat(code).as("%s%n%s", stdout, err).isZero();
    assertThat(stdout).contains("trainableParameters=77824", "lora=r8");
    Matcher m = Pattern.compile("event=step step=\\d+ .* loss=(\\S+)").matcher(stdout);
    int steps = 0;
    while (m.find()) {
      assertThat(Double.parseDouble(m.group(1))).isFinite().isPositive();
      steps++;
    }
    assertThat(steps).isEqualTo(6);

    Path fin = ck.resolve("final");
    JsonNode adapter = JSON.readTree(fin.resolve("adapter_config.json").toFile());
    assertThat(adapter.get("r").asInt()).isEqualTo(8);
    assertThat(adapter.get("lora_alpha").asInt()).isEqualTo(16);
    assertThat(adapter.get("target_modules")).hasSize(7);
    try (SafetensorsReader r = SafetensorsReader.open(fin.resolve("adapter_model.safetensors"))) {
      assertThat(r.names()).hasSize(4 * 7 * 2).allMatch(n -> n.startsWith("base_model.model.model.layers."))
          .contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
    }
    assertThat(fin.resolve("merged/model.safetensors")).exists();

    // base + adapter and the merged model give the same greedy answer to a held-out ticket
    List<String[]> ticket = Answer.read(ROOT.resolve("examples/data/support-tickets-heldout.jsonl"), 1);
    List<String> viaAdapter = Answer.answers(fin, BASE, ticket, 12);
    List<String> merged = Answer.answers(fin.resolve("merged"), null, ticket, 12);
    assertThat(viaAdapter).isEqualTo(merged).hasSize(1);
    assertThat(viaAdapter.get(0)).isNotBlank();
  }
}
