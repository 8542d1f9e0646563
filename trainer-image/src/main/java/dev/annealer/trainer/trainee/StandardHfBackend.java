package dev.annealer.trainer.trainee;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.data.TextRecord;
import dev.annealer.trainer.hf.HfLoadOptions;
import dev.annealer.trainer.hf.HfModels;
import dev.annealer.trainer.hf.HfTask;
import dev.annealer.trainer.hf.LanguageModel;
import dev.annealer.trainer.hf.config.BertConfig;
import dev.annealer.trainer.hf.config.DecoderConfig;
import dev.annealer.trainer.hf.config.FamilyConfig;
import dev.annealer.trainer.hf.config.Gpt2Config;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.data.TokenBatcher;
import dev.annealer.trainer.hf.data.TokenizedRecord;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.lora.LoraSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The Hugging Face model families of {@code dev.annealer.trainer.hf} behind {@link HfBackend}: {@link HfModels#load}
 * for the model, {@link HfModels#encoder} + {@link HfModels#batcher} for the data. What the spec leaves out is filled
 * in here: LoRA target modules default to PEFT's per family ({@code q_proj, v_proj} for llama/mistral/qwen2,
 * {@code c_attn} for gpt2, {@code query, value} for bert), {@code maxLength} to the model's maximum positions.
 */
final class StandardHfBackend implements HfBackend {
  static HfLoadOptions options(Path modelDir, Path loraInit, JobConfig cfg, Device device) {
    HfTask task = HfTask.parse(cfg.data().task());
    LoraSpec lora = null;
    JobConfig.Lora l = cfg.model().lora();
    if (l != null) {
      List<String> targets = l.targetModules().isEmpty() ? defaultTargets(FamilyConfig.read(modelDir)) : l.targetModules();
      lora = new LoraSpec(l.rank(), l.alpha(), l.dropout(), targets);
    }
    return new HfLoadOptions(task, null, lora, loraInit, cfg.training().seed(), device);
  }

  /** PEFT's {@code TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING} for the families we have. */
  static List<String> defaultTargets(FamilyConfig family) {
    if (family instanceof Gpt2Config) {
      return List.of("c_attn");
    }
    if (family instanceof BertConfig) {
      return List.of("query", "value");
    }
    return List.of("q_proj", "v_proj");
  }

  static int maxPositions(FamilyConfig family) {
    if (family instanceof DecoderConfig d) {
      return d.maxPositionEmbeddings();
    }
    if (family instanceof Gpt2Config g) {
      return g.nPositions();
    }
    return ((BertConfig) family).maxPositionEmbeddings();
  }

  @Override
  public LanguageModel load(Path modelDir, Path loraInit, JobConfig cfg, Device device, Consumer<String> log) {
    HfLoadOptions opts = options(modelDir, loraInit, cfg, device);
    try {
      HfModel model = HfModels.load(modelDir, opts, NDManager.newBaseManager(device, "PyTorch"));
      for (String w : model.warnings()) {
        log.accept("event=warning message=" + FloatTrainee.quote(w));
      }
      return model;
    } catch (IOException e) {
      throw new TrainerFailure(Reason.MissingFile, "spec.model.source " + cfg.model().source() + " cannot be read: " + e
          .getMessage(), e);
    }
  }

  @Override
  public TextBatcher batcher(Path modelDir, JobConfig cfg, LanguageModel model) {
    HfLoadOptions opts = options(modelDir, null, cfg, Device.cpu());
    int maxLength = cfg.data().maxLength() != null ? cfg.data().maxLength() : maxPositions(FamilyConfig.read(modelDir));
    TextEncoder encoder;
    try {
      encoder = HfModels.encoder(modelDir, opts, maxLength);
    } catch (IOException e) {
      throw new TrainerFailure(Reason.MissingFile, "spec.model.source " + cfg.model().source()
          + " has no readable tokenizer: " + e.getMessage(), e);
    }
    TokenBatcher batcher = HfModels.batcher(encoder, opts);
    HfTask task = opts.task();
    return (records, manager) -> {
      List<TokenizedRecord> tokens = new ArrayList<>(records.size());
      for (TextRecord r : records) {
        tokens.add(switch (task) {
          case CAUSAL_LM -> r.text() != null ? encoder.causalText(r.text()) : encoder.causal(r.prompt(), r.completion());
          case CLASSIFICATION -> encoder.classification(r.text(), (long) r.label());
          case REGRESSION -> encoder.regression(r.text(), r.label());
        });
      }
      if (task == HfTask.CAUSAL_LM) {
        requireLossTokens(tokens, records, encoder.maxLength());
      }
      return batcher.batch(tokens, manager);
    };
  }

  /**
   * A causal-LM batch in which no token counts for the loss (every prompt fills spec.data.maxLength, so nothing of a
   * completion is left after the cut) would give a NaN loss, reported as a learning-rate problem: refused here,
   * naming the cause and the fix.
   */
  static void requireLossTokens(List<TokenizedRecord> tokens, List<TextRecord> records, int maxLength) {
    for (TokenizedRecord t : tokens) {
      long[] labels = t.labels();
      for (int i = 1; i < labels.length; i++) { // position 0 is never predicted (labels are shifted by one)
        if (labels[i] != -100L) {
          return;
        }
      }
    }
    String prompt = records.isEmpty() || records.get(0).prompt() == null ? "" : records.get(0).prompt();
    throw new TrainerFailure(Reason.BadRecord, "no token of this batch's " + records.size() + " record(s) counts for "
        + "the loss: every prompt fills spec.data.maxLength=" + maxLength + " tokens, so the completion is cut away "
        + "(first prompt: \"" + (prompt.length() > 60 ? prompt.substring(0, 60) + "..." : prompt) + "\"); raise "
        + "spec.data.maxLength above the prompts' token count, or shorten the prompts");
  }
}
