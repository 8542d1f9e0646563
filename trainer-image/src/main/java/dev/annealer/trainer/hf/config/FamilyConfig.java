package dev.annealer.trainer.hf.config;

import dev.annealer.trainer.TrainerFailure;
import java.nio.file.Path;
import java.util.List;

/**
 * The architecture of one model family, parsed from {@code config.json} with HF's defaults written out. A record per
 * family: {@link DecoderConfig} (llama, mistral, qwen2), {@link Gpt2Config}, {@link BertConfig}.
 */
public sealed interface FamilyConfig permits DecoderConfig, Gpt2Config, BertConfig {

  /** The families this trainer implements, as {@code model_type} spells them. */
  List<String> SUPPORTED = List.of("llama", "mistral", "qwen2", "gpt2", "bert");

  /** {@code config.json}'s {@code model_type}. */
  String modelType();

  int vocabSize();

  /** Dropout settings of the checkpoint that the trainer does not apply ({@code key=value}); empty for most. */
  List<String> ignoredDropout();

  /** Reads and validates {@code modelDir/config.json}. */
  static FamilyConfig read(Path modelDir) {
    return parse(ConfigJson.read(modelDir));
  }

  /** Dispatches on {@code model_type}; anything else is an InvalidSpec naming the key. */
  static FamilyConfig parse(ConfigJson c) {
    String type = c.string("model_type", null);
    if (type == null) {
      throw TrainerFailure.invalid(c.field("model_type"), "nothing",
          "must name the architecture, one of " + String.join(", ", SUPPORTED));
    }
    return switch (type) {
      case "llama", "mistral", "qwen2" -> DecoderConfig.parse(c, type);
      case "gpt2" -> Gpt2Config.parse(c);
      case "bert" -> BertConfig.parse(c);
      default -> throw TrainerFailure.invalid(c.field("model_type"), type,
          "is not a supported architecture; supported: " + String.join(", ", SUPPORTED));
    };
  }
}
