package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.data.SpecialTokens;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.data.TokenizedRecord;
import dev.annealer.trainer.hf.family.HfModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Records to token ids and labels, batches, special tokens. */
class HfDataTest {
  @TempDir
  Path tmp;

  @Test
  void specialTokensComeFromTheTokenizerFiles() throws Exception {
    SpecialTokens llama = SpecialTokens.read(new HfCase("llama-full").model());
    assertThat(llama).isEqualTo(new SpecialTokens(0L, 2L, 1L));
    SpecialTokens bert = SpecialTokens.read(new HfCase("bert-cls-full").model());
    assertThat(bert.padId()).isZero();
    assertThat(bert.eosId()).isNull();
  }

  @Test
  void causalRecordsJoinPromptCompletionAndEosThenCutFromTheRight() throws Exception {
    HfCase c = new HfCase("llama-full");
    HfLoadOptions o = HfLoadOptions.causalLM(1);
    try (TextEncoder enc = HfModels.encoder(c.model(), o, 100)) {
      long[] p = enc.encode("Hi there.", true);
      long[] q = enc.encode(" Fine.", false);
      assertThat(p[0]).isEqualTo(1L); // <s> from the post-processor
      assertThat(q[0]).isNotEqualTo(1L);
      TokenizedRecord r = enc.causal("Hi there.", " Fine.");
      assertThat(r.inputIds()).hasSize(p.length + q.length + 1);
      assertThat(r.inputIds()[r.inputIds().length - 1]).isEqualTo(2L);
      for (int i = 0; i < r.labels().length; i++) {
        assertThat(r.labels()[i]).isEqualTo(i < p.length ? -100L : r.inputIds()[i]);
      }
      assertThat(r.lossTokens()).isEqualTo(q.length + 1);
      TokenizedRecord t = enc.causalText("Hi there.");
      assertThat(t.labels()).containsExactly(t.inputIds());
      assertThat(t.inputIds()).hasSize(p.length + 1);
      assertThat(enc.decode(r.inputIds(), true)).isEqualTo("Hi there. Fine.");
    }
    try (TextEncoder enc = HfModels.encoder(c.model(), o, 5)) {
      TokenizedRecord r = enc.causal("Hi there, how are you?", " Fine.");
      assertThat(r.inputIds()).hasSize(5);
      assertThat(r.lossTokens()).isZero();
    }
  }

  @Test
  void classificationTruncationKeepsTheSpecialTokens() throws Exception {
    HfCase c = new HfCase("bert-cls-full");
    HfLoadOptions o = HfLoadOptions.classification(null, 1);
    assertThat(HfModels.numLabels(c.model(), o)).isEqualTo(4);
    try (TextEncoder enc = HfModels.encoder(c.model(), o, 6)) {
      TokenizedRecord r = enc.classification("my laptop freezes after startup every single day", 3);
      assertThat(r.inputIds()).hasSize(6);
      assertThat(r.inputIds()[0]).isEqualTo(2L); // [CLS]
      assertThat(r.inputIds()[5]).isEqualTo(3L); // [SEP] kept, as tokenizer(truncation=True, max_length=6)
      assertThat(r.target()).isEqualTo(3L);
      assertThat(enc.classification("x", "LABEL_2").target()).isEqualTo(2L);
      assertThatThrownBy(() -> enc.classification("x", 4)).isInstanceOfSatisfying(TrainerFailure.class,
          e -> assertThat(e.reason()).isEqualTo(TrainerFailure.Reason.BadRecord)).hasMessageContaining("4 classes");
      assertThatThrownBy(() -> enc.classification("x", "nope")).hasMessageContaining("label2id");
    }
  }

  @Test
  void batchesAreRightPaddedWithMaskAndIgnoredLabels() throws Exception {
    HfCase c = new HfCase("gpt2-full");
    HfLoadOptions o = HfLoadOptions.causalLM(1);
    try (NDManager m = NDManager.newBaseManager(); TextEncoder enc = HfModels.encoder(c.model(), o, 48)) {
      TokenizedRecord a = enc.causal("Hello", " a.");
      TokenizedRecord b = enc.causal("Hello, my phone is very slow since the update.", " Sorry.");
      try (TokenBatch batch = HfModels.batcher(enc, o).batch(List.of(a, b), m)) {
        int t = b.inputIds().length;
        assertThat(batch.inputIds().getShape().getShape()).containsExactly(2, t);
        long[] ids = batch.inputIds().toLongArray();
        long[] mask = batch.attentionMask().toLongArray();
        long[] labels = batch.labels().toLongArray();
        for (int i = 0; i < t; i++) {
          boolean pad = i >= a.inputIds().length;
          assertThat(ids[i]).isEqualTo(pad ? 0L : a.inputIds()[i]);
          assertThat(mask[i]).isEqualTo(pad ? 0L : 1L);
          assertThat(labels[i]).isEqualTo(pad ? -100L : a.labels()[i]);
          assertThat(mask[t + i]).isEqualTo(1L);
        }
        // padding changes nothing: the batch loss is the token-weighted mean of the records' losses
        try (HfModel model = HfModels.load(c.model(), o, m)) {
          double la = model.loss(HfModels.batcher(enc, o).batch(List.of(a), m)).getFloat();
          double lb = model.loss(HfModels.batcher(enc, o).batch(List.of(b), m)).getFloat();
          double both = model.loss(batch).getFloat();
          int na = a.lossTokens();
          int nb = b.lossTokens();
          assertThat(both).isCloseTo((la * na + lb * nb) / (na + nb), org.assertj.core.data.Offset.offset(1e-5));
        }
      }
    }
  }

  @Test
  void maxLengthBeyondLearnedPositionsAndDisagreeingBosFlagsAreRejected() throws Exception {
    HfCase c = new HfCase("gpt2-full");
    assertThatThrownBy(() -> HfModels.encoder(c.model(), HfLoadOptions.causalLM(1), 129))
        .isInstanceOf(TrainerFailure.class).hasMessageContaining("spec.data.maxLength")
        .hasMessageContaining("n_positions");
    for (String f : List.of("tokenizer.json", "config.json")) {
      Files.copy(c.model().resolve(f), tmp.resolve(f));
    }
    ObjectNode tc = (ObjectNode) HfCase.JSON.readTree(Files.readString(c.model().resolve("tokenizer_config.json")));
    tc.put("add_bos_token", true).put("add_eos_token", false);
    Files.writeString(tmp.resolve("tokenizer_config.json"), tc.toString());
    HfModels.encoder(tmp, HfLoadOptions.causalLM(1), 48).close(); // agrees with tokenizer.json
    tc.put("add_eos_token", true);
    Files.writeString(tmp.resolve("tokenizer_config.json"), tc.toString());
    assertThatThrownBy(() -> HfModels.encoder(tmp, HfLoadOptions.causalLM(1), 48))
        .isInstanceOf(TrainerFailure.class).hasMessageContaining("tokenizer_config.json add_eos_token");
  }

  @Test
  void aModelWithoutPadTokenFailsClearly() throws Exception {
    HfCase c = new HfCase("llama-full");
    for (String f : List.of("tokenizer.json", "model.safetensors")) {
      Files.copy(c.model().resolve(f), tmp.resolve(f));
    }
    ObjectNode tc = (ObjectNode) HfCase.JSON.readTree(Files.readString(c.model().resolve("tokenizer_config.json")));
    tc.remove("pad_token");
    Files.writeString(tmp.resolve("tokenizer_config.json"), tc.toString());
    ObjectNode cfg = (ObjectNode) HfCase.JSON.readTree(Files.readString(c.model().resolve("config.json")));
    cfg.remove("pad_token_id");
    Files.writeString(tmp.resolve("config.json"), cfg.toString());
    assertThatThrownBy(() -> HfModels.encoder(tmp, HfLoadOptions.causalLM(1), 48)).isInstanceOf(TrainerFailure.class)
        .hasMessageContaining("pad_token");
    tc.put("pad_token", "</s>");
    Files.writeString(tmp.resolve("tokenizer_config.json"), tc.toString());
    try (TextEncoder enc = HfModels.encoder(tmp, HfLoadOptions.causalLM(1), 48)) {
      assertThat(enc.padId()).isEqualTo(2L);
    }
    tc.put("pad_token", "<nothing>");
    Files.writeString(tmp.resolve("tokenizer_config.json"), tc.toString());
    assertThatThrownBy(() -> HfModels.encoder(tmp, HfLoadOptions.causalLM(1), 48))
        .hasMessageContaining("tokenizer_config.json pad_token").hasMessageContaining("<nothing>");
  }

  @Test
  void greedyGenerationAndNoLeakedArrays() throws Exception {
    HfCase c = new HfCase("llama-full");
    HfLoadOptions o = HfLoadOptions.causalLM(1);
    try (NDManager m = NDManager.newBaseManager();
        HfModel model = HfModels.load(c.model(), o, m);
        TextEncoder enc = HfModels.encoder(c.model(), o, 48)) {
      long[] out = model.generateGreedy(enc.encode("Hello, my phone is slow.", true), 5, enc.special().eosId());
      assertThat(out.length).isBetween(1, 5);
      try (NDManager batchManager = m.newSubManager();
          TokenBatch b = HfModels.batcher(enc, o).batch(List.of(c.encode(enc, 0), c.encode(enc, 1)), batchManager)) {
        model.loss(b).close();
        int before = countArrays(m);
        for (int i = 0; i < 3; i++) {
          model.loss(b).close();
          model.logits(b).close();
        }
        assertThat(countArrays(m)).isEqualTo(before);
      }
    }
  }

  static int countArrays(NDManager m) {
    return m.getManagedArrays().size();
  }
}
