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

  /**
   * The tensors a checkpoint writes: the parameters that train (frozen ones are referenced by
   * {@link #frozenDigest()}, never rewritten) and the optimizer state. {@code copy = false}: views valid until the
   * next step (a synchronous write); {@code copy = true}: a snapshot that stays valid while training goes on (a
   * background write). Close it after the write.
   */
  default CheckpointState checkpointState(boolean copy) {
    Map<String, float[]> all = parameters();
    java.util.Set<String> frozen = frozen();
    Map<String, dev.annealer.trainer.checkpoint.TensorFile.Source> p = new java.util.LinkedHashMap<>();
    all.forEach((k, v) -> {
      if (!frozen.contains(k)) {
        p.put(k, dev.annealer.trainer.checkpoint.TensorFile.Source.of(copy ? v.clone() : v));
      }
    });
    OptimizerState s = copy ? optimizerState().copy() : optimizerState();
    return new CheckpointState(p, dev.annealer.trainer.checkpoint.CheckpointStore.sources(s.buffers()), s.type(),
        s.counters(), () -> { });
  }

  /** Names of the parameters in {@link #parameters()} that do not train (spec.model.trainable leaves them out). */
  default java.util.Set<String> frozen() {
    return java.util.Set.of();
  }

  /**
   * What the frozen part of the model is, for the checkpoint manifest: its digest and size, computed once (frozen
   * weights never change), or null when everything trains. A resume refuses a checkpoint whose frozen digest differs.
   */
  default FrozenBase frozenDigest() {
    return null;
  }

  /** The frozen part of a model: {@code sha256} identifies it, {@code bytes} is what a checkpoint does not rewrite. */
  record FrozenBase(String kind, String sha256, long bytes, int tensors) {}

  /** {@code AdamW} or {@code SGD}: the type a checkpoint's optimizer state must have. */
  String optimizerType();

  /**
   * Restores a checkpoint.
   *
   * @throws IllegalArgumentException when the names or sizes do not fit this model (the message says which)
   */
  void load(Map<String, float[]> params, OptimizerState state);

  /**
   * Restores a checkpoint from little-endian float32 views (mapped checkpoint files); by default through
   * {@code float[]}s. {@code params} holds the trainable parameters only when the model has frozen ones.
   */
  default void loadBytes(Map<String, java.nio.ByteBuffer> params, String optimizerType,
      Map<String, java.nio.ByteBuffer> optimizerBuffers, Map<String, Long> counters) {
    Map<String, float[]> p = floats(params);
    java.util.Set<String> frozen = frozen();
    if (!frozen.isEmpty()) {
      Map<String, float[]> current = parameters();
      for (String f : frozen) {
        if (!p.containsKey(f) && current.containsKey(f)) {
          p.put(f, current.get(f).clone());
        }
      }
    }
    load(p, new OptimizerState(optimizerType, floats(optimizerBuffers), counters));
  }

  private static Map<String, float[]> floats(Map<String, java.nio.ByteBuffer> m) {
    Map<String, float[]> out = new java.util.LinkedHashMap<>();
    m.forEach((k, b) -> {
      float[] v = new float[b.remaining() / 4];
      b.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      out.put(k, v);
    });
    return out;
  }

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
