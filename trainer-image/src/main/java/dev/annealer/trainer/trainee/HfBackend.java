package dev.annealer.trainer.trainee;

import ai.djl.Device;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.hf.LanguageModel;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Where Hugging Face models and tokenizers come from: the seam between the training path ({@link HfTrainee}) and
 * the model families of {@code dev.annealer.trainer.hf}. Tests plug in a small fake.
 */
public interface HfBackend {

  /**
   * Loads the model of {@code modelDir} for {@code cfg} (task, LoRA settings, seed) on {@code device}.
   *
   * @param loraInit the resolved {@code spec.model.lora.initFrom} directory, or null
   * @param log for {@code event=warning} lines about settings of the checkpoint that are not applied
   */
  LanguageModel load(Path modelDir, Path loraInit, JobConfig cfg, Device device, Consumer<String> log);

  /** The tokenizer of {@code modelDir} turning records into batches for {@code model}, per {@code spec.data}. */
  TextBatcher batcher(Path modelDir, JobConfig cfg, LanguageModel model);

  /** The model families of {@code dev.annealer.trainer.hf}. */
  static HfBackend standard() {
    return new StandardHfBackend();
  }
}
