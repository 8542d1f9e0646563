package dev.annealer.trainer.trainee;

import ai.djl.Device;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.hf.LanguageModel;
import java.nio.file.Path;

/**
 * Where Hugging Face models and tokenizers come from: the seam between the training path ({@link HfTrainee}) and
 * the model families of {@code dev.annealer.trainer.hf}. Tests plug in a small fake.
 */
public interface HfBackend {

  /**
   * Loads the model of {@code modelDir} for {@code cfg} (task, LoRA settings, seed) on {@code device}.
   *
   * @param loraInit the resolved {@code spec.model.lora.initFrom} directory, or null
   */
  LanguageModel load(Path modelDir, Path loraInit, JobConfig cfg, Device device);

  /** The tokenizer of {@code modelDir} turning records into batches for {@code model}, per {@code spec.data}. */
  TextBatcher batcher(Path modelDir, JobConfig cfg, LanguageModel model);

  /** The model families of this build. */
  static HfBackend standard() {
    return new HfBackend() {
      @Override
      public LanguageModel load(Path modelDir, Path loraInit, JobConfig cfg, Device device) {
        throw unavailable();
      }

      @Override
      public TextBatcher batcher(Path modelDir, JobConfig cfg, LanguageModel model) {
        throw unavailable();
      }

      private TrainerFailure unavailable() {
        return TrainerFailure.invalid("spec.model.format", "huggingface",
            "is not available in this trainer build (no Hugging Face model families): use a trainer image with them");
      }
    };
  }
}
