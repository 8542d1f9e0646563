package dev.annealer.trainer.hf;

import ai.djl.ndarray.NDManager;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.config.BertConfig;
import dev.annealer.trainer.hf.config.DecoderConfig;
import dev.annealer.trainer.hf.config.FamilyConfig;
import dev.annealer.trainer.hf.config.Gpt2Config;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.data.TokenBatcher;
import dev.annealer.trainer.hf.family.BertModel;
import dev.annealer.trainer.hf.family.DecoderModel;
import dev.annealer.trainer.hf.family.Gpt2Model;
import dev.annealer.trainer.hf.family.HfModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Entry points for Hugging Face models: load a model directory as a {@link LanguageModel}, and open the matching
 * tokenizer as a {@link TextEncoder} plus a {@link TokenBatcher}.
 *
 * <pre>{@code
 * HfLoadOptions opts = new HfLoadOptions(HfTask.CAUSAL_LM, null, loraSpecOrNull, initFromOrNull, seed, device);
 * try (HfModel model = HfModels.load(dir, opts, manager);
 *      TextEncoder enc = HfModels.encoder(dir, opts, maxLength)) {
 *   TokenBatcher batcher = HfModels.batcher(enc, opts);
 *   TokenBatch batch = batcher.batch(List.of(enc.causal(prompt, completion), ...), manager);
 *   try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
 *     NDArray loss = model.loss(batch);          // float32 scalar, attached to the batch's manager
 *     gc.backward(loss);                          // gradients on model.trainableParameters()
 *   }
 *   model.export(finalDir, exportMerged);
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@link #load}: reads {@code config.json} (family from {@code model_type}: llama, mistral, qwen2, gpt2, bert;
 *       anything else, or an option these families do not implement, is an InvalidSpec naming the key), then the
 *       safetensors weights (single file or sharded, F32/BF16/F16 held as float32), checks every name and shape
 *       against the architecture, and injects LoRA adapters if asked. Parameters live in a sub-manager of
 *       {@code manager}, closed by {@link LanguageModel#close()}.</li>
 *   <li>{@link LanguageModel#trainableParameters()}: full fine-tune = every weight under its HF name (a tied head once,
 *       as the embedding); LoRA = the adapters under PEFT's names, plus the classifier for classification
 *       (PEFT's {@code modules_to_save}). Base weights of a LoRA job are frozen (no gradient).</li>
 *   <li>{@link HfModel#warnings()}: settings of the checkpoint the trainer does not apply (dropout) and heads it had
 *       to initialize, to be logged as warnings.</li>
 *   <li>{@link HfModel#zeroGradients()} before each backward (libtorch accumulates gradients);
 *       {@link LanguageModel#loss} returns an array attached to the batch's manager (close it, or its manager).</li>
 *   <li>{@link HfModel#generateGreedy} (causal LM) and {@link TextEncoder#decode} for a before/after answer.</li>
 *   <li>{@link TextEncoder#loadNativeLibrary()}: unpacks the tokenizers native library into {@code DJL_CACHE_DIR}
 *       (call it where the image bakes libtorch, e.g. {@code engine-info}).</li>
 *   <li>{@link #encoder}: the tokenizer ({@code tokenizer.json}) with the record conventions of the conformance cases
 *       (see {@link TextEncoder}); {@link #batcher} pads a list of records into a {@link TokenBatch}.</li>
 * </ul>
 *
 * <p>Autograd caveat for code around these models: never multiply, divide or raise a tensor that needs a gradient by
 * a Java number through DJL ({@code x.mul(0.5)}); DJL hands autograd a temporary tensor over a Java buffer it frees,
 * and the backward pass then reads freed memory. Use a libtorch-owned constant ({@link
 * dev.annealer.trainer.hf.ops.Scalars}). Outside autograd (optimizer updates under no gradient) it is harmless.
 */
public final class HfModels {
  private HfModels() {}

  /** Loads {@code modelDir} for training (see the class comment). */
  public static HfModel load(Path modelDir, HfLoadOptions opts, NDManager manager) throws IOException {
    FamilyConfig cfg = FamilyConfig.read(modelDir);
    NDManager m = manager.newSubManager(opts.device());
    try {
      if (cfg instanceof DecoderConfig d) {
        return DecoderModel.load(modelDir, d, opts, m);
      } else if (cfg instanceof Gpt2Config g) {
        return Gpt2Model.load(modelDir, g, opts, m);
      } else if (cfg instanceof BertConfig b) {
        return BertModel.load(modelDir, b, opts, m);
      }
      throw new IllegalStateException(cfg.toString());
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * The number of classes a classification job on {@code modelDir} has: {@code opts.numLabels()} if set, else
   * config.json's; 1 for regression, 0 for causal LM.
   */
  public static int numLabels(Path modelDir, HfLoadOptions opts) {
    return switch (opts.task()) {
      case CAUSAL_LM -> 0;
      case REGRESSION -> 1;
      case CLASSIFICATION -> {
        if (opts.numLabels() != null) {
          yield opts.numLabels();
        }
        FamilyConfig cfg = FamilyConfig.read(modelDir);
        if (cfg instanceof BertConfig b) {
          yield b.numLabels();
        }
        throw TrainerFailure.invalid("spec.data.task", "classification",
            "is supported for bert models only (model_type " + cfg.modelType() + ")");
      }
    };
  }

  /** The tokenizer of {@code modelDir} with the record conventions of {@code opts.task()}. */
  public static TextEncoder encoder(Path modelDir, HfLoadOptions opts, int maxLength) throws IOException {
    FamilyConfig cfg = FamilyConfig.read(modelDir);
    int limit = cfg instanceof Gpt2Config g ? g.nPositions()
        : cfg instanceof BertConfig b ? b.maxPositionEmbeddings() : Integer.MAX_VALUE;
    if (maxLength > limit) {
      throw TrainerFailure.invalid("spec.data.maxLength", maxLength, "exceeds the " + limit
          + " positions of this " + cfg.modelType() + " model (config.json "
          + (cfg instanceof Gpt2Config ? "n_positions" : "max_position_embeddings") + ")");
    }
    return TextEncoder.open(modelDir, opts.task(), maxLength, numLabels(modelDir, opts));
  }

  /** Pads records into batches with the encoder's pad token. */
  public static TokenBatcher batcher(TextEncoder encoder, HfLoadOptions opts) {
    return new TokenBatcher(opts.task(), encoder.padId());
  }
}
