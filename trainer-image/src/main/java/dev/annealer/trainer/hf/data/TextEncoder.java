package dev.annealer.trainer.hf.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.HfTask;
import dev.annealer.trainer.hf.config.ConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns text records into token ids and labels with the model's own {@code tokenizer.json} (DJL's
 * {@link HuggingFaceTokenizer}, the Rust {@code tokenizers} library that {@code transformers} runs), offline, following
 * the conformance conventions:
 * <ul>
 *   <li>causal LM, prompt + completion: {@code tokenize(prompt, with special tokens) + tokenize(completion, without) +
 *       [eos]}, cut to maxLength from the right; labels -100 on the prompt part (loss on the completion only);</li>
 *   <li>causal LM, text only: {@code tokenize(text, with special tokens) + [eos]}, cut to maxLength; loss on every
 *       token;</li>
 *   <li>classification / regression: {@code tokenizer(text, truncation=True, max_length=maxLength)}: the text is
 *       truncated so that the special tokens ({@code [CLS] ... [SEP]}) stay; the label is a class index (an integer,
 *       or a name from config.json's {@code label2id}) or, for regression, a number.</li>
 * </ul>
 */
public final class TextEncoder implements AutoCloseable {
  private final Path modelDir;
  private final HfTask task;
  private final int maxLength;
  private final int numLabels;
  private final Map<String, Integer> label2id;
  private final SpecialTokens special;
  private final HuggingFaceTokenizer tokenizer;

  private TextEncoder(Path modelDir, HfTask task, int maxLength, int numLabels, Map<String, Integer> label2id,
      SpecialTokens special, HuggingFaceTokenizer tokenizer) {
    this.modelDir = modelDir;
    this.task = task;
    this.maxLength = maxLength;
    this.numLabels = numLabels;
    this.label2id = label2id;
    this.special = special;
    this.tokenizer = tokenizer;
  }

  /**
   * Loads {@code modelDir/tokenizer.json}.
   *
   * @param maxLength {@code spec.data.maxLength}
   * @param numLabels classification: the number of classes (labels must be below it); otherwise ignored
   */
  public static TextEncoder open(Path modelDir, HfTask task, int maxLength, int numLabels) throws IOException {
    if (maxLength < 2) {
      throw TrainerFailure.invalid("spec.data.maxLength", maxLength, "must be at least 2");
    }
    Path file = modelDir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new TrainerFailure(TrainerFailure.Reason.MissingFile, "spec.model.source has no tokenizer.json: " + file
          + " does not exist (the fast tokenizer file that save_pretrained writes)");
    }
    SpecialTokens special = SpecialTokens.read(modelDir);
    special.requirePad(modelDir);
    if (task == HfTask.CAUSAL_LM) {
      special.requireEos(modelDir);
    }
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "true");
    options.put("padding", "false");
    if (task == HfTask.CAUSAL_LM) {
      options.put("truncation", "false"); // the record is cut after prompt + completion + eos are joined
    } else {
      options.put("truncation", "true");
      options.put("maxLength", Integer.toString(maxLength));
      options.put("modelMaxLength", Integer.toString(maxLength));
    }
    Map<String, Integer> label2id = new HashMap<>();
    if (task == HfTask.CLASSIFICATION) {
      var l2i = ConfigJson.read(modelDir).node("label2id");
      if (l2i != null && l2i.isObject()) {
        l2i.fields().forEachRemaining(e -> label2id.put(e.getKey(), e.getValue().asInt()));
      }
    }
    optOutOfTelemetry();
    HuggingFaceTokenizer tok;
    try {
      tok = HuggingFaceTokenizer.newInstance(file, options);
    } catch (RuntimeException e) {
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec,
          "spec.model.source tokenizer.json cannot be loaded: " + file + ": " + e.getMessage(), e);
    }
    TextEncoder enc = new TextEncoder(modelDir, task, maxLength, numLabels, label2id, special, tok);
    try {
      enc.checkSpecialTokenFlags();
    } catch (RuntimeException e) {
      enc.close();
      throw e;
    }
    return enc;
  }

  /**
   * transformers rebuilds some tokenizers' post-processor from tokenizer_config.json's {@code add_bos_token} /
   * {@code add_eos_token}; this trainer runs tokenizer.json as it is, so the two must agree (probed on one word).
   */
  private void checkSpecialTokenFlags() throws IOException {
    var cfg = readTokenizerConfig(modelDir);
    if (cfg == null) {
      return;
    }
    long[] probe = tokenizer.encode("a", true, false).getIds();
    if (probe.length == 0) {
      return;
    }
    check(cfg, "add_bos_token", special.bosId(), probe[0] == (special.bosId() == null ? -1 : special.bosId()));
    check(cfg, "add_eos_token", special.eosId(),
        probe[probe.length - 1] == (special.eosId() == null ? -1 : special.eosId()));
  }

  private void check(com.fasterxml.jackson.databind.JsonNode cfg, String key, Long id, boolean present) {
    var v = cfg.get(key);
    if (v == null || !v.isBoolean() || id == null || v.asBoolean() == present) {
      return;
    }
    throw TrainerFailure.invalid("spec.model.source tokenizer_config.json " + key, v.asBoolean(),
        "disagrees with tokenizer.json, whose post-processor " + (present ? "adds" : "does not add")
            + " token " + id + "; re-save the tokenizer with transformers (save_pretrained) so that tokenizer.json"
            + " carries the setting");
  }

  private static com.fasterxml.jackson.databind.JsonNode readTokenizerConfig(Path dir) throws IOException {
    Path p = dir.resolve("tokenizer_config.json");
    return Files.isRegularFile(p) ? new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readString(p))
        : null;
  }

  /**
   * Loads (and on first use unpacks into {@code DJL_CACHE_DIR}) the tokenizers native library, so that an image build
   * can bake it next to libtorch ({@code engine-info}) and a read-only cache works at run time.
   */
  public static void loadNativeLibrary() {
    optOutOfTelemetry();
    ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus();
  }

  /** DJL calls home from EC2 unless told not to; a trainer pod never should. */
  private static void optOutOfTelemetry() {
    if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
  }

  public SpecialTokens special() {
    return special;
  }

  /** The id padding is done with. */
  public long padId() {
    return special.padId();
  }

  public int maxLength() {
    return maxLength;
  }

  /** Token ids of {@code text}, with or without the tokenizer's special tokens, untruncated (causal) . */
  public long[] encode(String text, boolean specialTokens) {
    Encoding e = tokenizer.encode(text, specialTokens, false);
    return e.getIds();
  }

  public String decode(long[] ids, boolean skipSpecialTokens) {
    return tokenizer.decode(ids, skipSpecialTokens);
  }

  /** A prompt/completion record: loss on the completion (and the eos) only. */
  public TokenizedRecord causal(String prompt, String completion) {
    requireTask(HfTask.CAUSAL_LM);
    long[] p = encode(prompt, true);
    long[] c = encode(completion, false);
    long[] ids = new long[p.length + c.length + 1];
    System.arraycopy(p, 0, ids, 0, p.length);
    System.arraycopy(c, 0, ids, p.length, c.length);
    ids[ids.length - 1] = special.eosId();
    long[] labels = ids.clone();
    Arrays.fill(labels, 0, p.length, -100L);
    int n = Math.min(ids.length, maxLength);
    return new TokenizedRecord(Arrays.copyOf(ids, n), Arrays.copyOf(labels, n), null);
  }

  /** A text-only causal record: loss on every token. */
  public TokenizedRecord causalText(String text) {
    requireTask(HfTask.CAUSAL_LM);
    long[] t = encode(text, true);
    long[] ids = Arrays.copyOf(t, t.length + 1);
    ids[t.length] = special.eosId();
    int n = Math.min(ids.length, maxLength);
    long[] cut = Arrays.copyOf(ids, n);
    return new TokenizedRecord(cut, cut.clone(), null);
  }

  /** A classification record; {@code label} is an integer class index or a name from config.json's label2id. */
  public TokenizedRecord classification(String text, Object label) {
    requireTask(HfTask.CLASSIFICATION);
    long index;
    if (label instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      index = n.longValue();
    } else if (label instanceof String s && label2id.containsKey(s)) {
      index = label2id.get(s);
    } else if (label instanceof String s && s.matches("-?\\d+")) {
      index = Long.parseLong(s);
    } else {
      throw new TrainerFailure(TrainerFailure.Reason.BadRecord, "spec.data.label value " + label
          + " is neither a class index nor a label of config.json's label2id " + label2id.keySet());
    }
    if (index < 0 || index >= numLabels) {
      throw new TrainerFailure(TrainerFailure.Reason.BadRecord,
          "spec.data.label value " + label + " is outside the " + numLabels + " classes (0.." + (numLabels - 1) + ")");
    }
    return new TokenizedRecord(tokenizer.encode(text, true, false).getIds(), null, index);
  }

  /** A regression record. */
  public TokenizedRecord regression(String text, double target) {
    requireTask(HfTask.REGRESSION);
    if (!Double.isFinite(target)) {
      throw new TrainerFailure(TrainerFailure.Reason.BadRecord, "spec.data.label value " + target + " is not finite");
    }
    return new TokenizedRecord(tokenizer.encode(text, true, false).getIds(), null, (float) target);
  }

  private void requireTask(HfTask t) {
    if (task != t) {
      throw new IllegalStateException("encoder opened for " + task + ", record is " + t);
    }
  }

  public Path modelDir() {
    return modelDir;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
