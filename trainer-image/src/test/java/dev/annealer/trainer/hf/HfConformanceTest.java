package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.data.TokenBatcher;
import dev.annealer.trainer.hf.data.TokenizedRecord;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.lora.LoraSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The four conformance cases produced by transformers/peft/torch: token ids identical, each record's initial loss and
 * the last-position logits of record 0 within 1e-4 relative, and the loss of the first batch (before any update).
 *
 * <p>For llama-lora the reference's {@code initialLossPerExample} and {@code lastLogits} are those of the base model
 * (the adapter not applied: they match it to 1e-7), while {@code losses[0]} is the first batch through base +
 * {@code adapter-init}; both are checked as such.
 */
class HfConformanceTest {
  static final double REL = 1e-4;

  static HfLoadOptions options(HfCase c) {
    HfLoadOptions o = c.classification() ? HfLoadOptions.classification(c.ref.get("numLabels").asInt(), 1)
        : HfLoadOptions.causalLM(1);
    if (c.ref.has("lora")) {
      JsonNode l = c.ref.get("lora");
      List<String> targets = new ArrayList<>();
      l.get("targetModules").forEach(t -> targets.add(t.asText()));
      o = o.withLora(new LoraSpec(l.get("rank").asInt(), l.get("alpha").asDouble(), 0.0, targets),
          c.dir.resolve("adapter-init"));
    }
    return o;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-full", "llama-lora", "gpt2-full", "bert-cls-full"})
  void tokenizationIsIdentical(String name) throws Exception {
    HfCase c = new HfCase(name);
    try (TextEncoder enc = HfModels.encoder(c.model(), options(c), c.maxLength())) {
      JsonNode tok = c.ref.get("tokenization");
      for (int i = 0; i < tok.size(); i++) {
        TokenizedRecord r = c.encode(enc, i);
        assertThat(r.inputIds()).as("record %d inputIds", i).containsExactly(HfCase.longs(tok.get(i).get("inputIds")));
        if (tok.get(i).has("labels")) {
          assertThat(r.labels()).as("record %d labels", i).containsExactly(HfCase.longs(tok.get(i).get("labels")));
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-full", "llama-lora", "gpt2-full", "bert-cls-full"})
  void firstBatchLossMatches(String name) throws Exception {
    HfCase c = new HfCase(name);
    HfLoadOptions opts = options(c);
    int batchSize = c.ref.get("job").get("batchSize").asInt();
    try (NDManager manager = NDManager.newBaseManager();
        HfModel model = HfModels.load(c.model(), opts, manager);
        TextEncoder enc = HfModels.encoder(c.model(), opts, c.maxLength())) {
      List<TokenizedRecord> records = new ArrayList<>();
      for (int i = 0; i < batchSize; i++) {
        records.add(c.encode(enc, i));
      }
      try (TokenBatch b = HfModels.batcher(enc, opts).batch(records, manager)) {
        double want = c.ref.get("losses").get(0).asDouble();
        assertThat((double) model.loss(b).getFloat()).as("%s batch 0 loss", name).isCloseTo(want, withinRel(want));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-full", "llama-lora", "gpt2-full", "bert-cls-full"})
  void initialLossesAndLogitsMatch(String name) throws Exception {
    HfCase c = new HfCase(name);
    HfLoadOptions opts = options(c).withLora(null, null); // the reference's per-record values are the base model's
    try (NDManager manager = NDManager.newBaseManager();
        HfModel model = HfModels.load(c.model(), opts, manager);
        TextEncoder enc = HfModels.encoder(c.model(), opts, c.maxLength())) {
      TokenBatcher batcher = HfModels.batcher(enc, opts);
      double[] want = HfCase.doubles(c.ref.get("initialLossPerExample"));
      for (int i = 0; i < want.length; i++) {
        try (NDManager scope = manager.newSubManager();
            TokenBatch b = batcher.batch(List.of(c.encode(enc, i)), scope)) {
          double loss = model.loss(b).getFloat();
          assertThat(loss).as("%s record %d loss", name, i).isCloseTo(want[i], withinRel(want[i]));
        }
      }
      double[] logitsWant = HfCase.doubles(c.ref.get("lastLogits"));
      try (NDManager scope = manager.newSubManager();
          TokenBatch b = batcher.batch(List.of(c.encode(enc, 0)), scope)) {
        NDArray logits = model.logits(b);
        float[] got = c.classification() ? logits.toFloatArray()
            : logits.get(0).get(logits.getShape().get(1) - 1).toFloatArray();
        assertThat(got).hasSize(logitsWant.length);
        double scale = 0;
        for (double v : logitsWant) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (int j = 0; j < got.length; j++) {
          // relative to the largest logit: near-zero entries carry the same absolute error as the rest
          assertThat((double) got[j]).as("%s logit %d", name, j).isCloseTo(logitsWant[j],
              org.assertj.core.data.Offset.offset(REL * scale));
        }
      }
    }
  }

  static org.assertj.core.data.Offset<Double> withinRel(double want) {
    return org.assertj.core.data.Offset.offset(REL * Math.abs(want));
  }
}
