package dev.annealer.trainer.trainee;

import dev.annealer.trainer.StepRunner.StepResult;
import dev.annealer.trainer.data.BatchPlan;
import dev.annealer.trainer.optim.OptimizerState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the training loop drives, whatever the model is: one optimizer step at a given learning rate, evaluation,
 * the state a checkpoint holds (parameters and optimizer state, keyed by stable names) and the export of the result.
 * {@link dev.annealer.trainer.TrainingRun} knows only this interface; {@link Trainees} picks the implementation from
 * {@code spec.model.format}: {@link FloatTrainee} (builtin/torchscript/djl models on float feature columns) or
 * {@link HfTrainee} (Hugging Face language models on text).
 */
public interface Trainee extends AutoCloseable {

  /** Which records each step reads (pure in seed and step), and the epoch arithmetic. */
  BatchPlan plan();

  /**
   * One optimizer step: the micro-batches of 0-based step {@code step}, forward/backward (loss scaled by 1/A),
   * clipping, the update at learning rate {@code lr}. A non-finite loss is returned without updating.
   */
  StepResult step(long step, double lr);

  /** Whether {@code spec.data.validation} was given. */
  boolean hasValidation();

  /**
   * Metrics on the validation data, in log order: {@code validationLoss} always, then what the task defines
   * ({@code validationPerplexity} for causalLM, {@code validationAccuracy} and {@code validationMacroF1} for
   * classification). Empty without validation data.
   */
  Map<String, Double> evaluate();

  /** The parameters a checkpoint and the digest cover, by stable name (not to be modified; valid until the next step). */
  Map<String, float[]> parameters();

  /** A copy of the optimizer state for a checkpoint. */
  OptimizerState optimizerState();

  /** {@code AdamW} or {@code SGD}: the type a checkpoint's optimizer state must have. */
  String optimizerType();

  /**
   * Restores a checkpoint.
   *
   * @throws IllegalArgumentException when the names or sizes do not fit this model (the message says which)
   */
  void load(Map<String, float[]> params, OptimizerState state);

  /**
   * Writes the trained model after a successful run under {@code checkpointDir}.
   *
   * @return the written directory relative to {@code checkpointDir} when it is the job's final model for the
   *     operator's {@code status.finalModel} ({@code final}), else null
   */
  String export(Path checkpointDir) throws IOException;

  @Override
  void close();
}
