package dev.annealer.trainer;

import dev.annealer.trainer.model.Task;
import dev.annealer.trainer.model.TrainableModel;
import dev.annealer.trainer.optim.GradientClipping;
import dev.annealer.trainer.optim.Optimizer;
import dev.annealer.trainer.optim.ParamSlot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One optimizer step: forward/backward on each micro-batch (loss scaled by 1/A for A micro-batches, so the
 * accumulated gradient is the gradient of the mean loss), optional global-norm clipping, the optimizer update on the
 * float32 master copy, and the copy back into the model. The master copy is what checkpoints and digests read.
 */
public final class StepRunner {

  /** One micro-batch, row-major features. */
  public record Batch(float[] features, float[] labels, int size) {}

  /**
   * What one step observed. {@code loss} is the mean over micro-batches before the update; {@code gradNorm} the
   * global 2-norm of the gradient before clipping. When either is not finite, the update was <em>not</em> applied.
   */
  public record StepResult(double loss, double gradNorm) {}

  private final TrainableModel model;
  private final Optimizer optimizer;
  private final Task task;
  private final Double clipNorm;
  private final Map<String, float[]> master = new LinkedHashMap<>();
  private final Map<String, float[]> grads = new LinkedHashMap<>();
  private final Map<String, Double> multipliers;

  /**
   * @param trainable names of the parameters the optimizer updates (the rest stay frozen)
   * @param multipliers learning-rate multiplier per trainable name (missing = 1)
   */
  public StepRunner(TrainableModel model, Optimizer optimizer, Task task, Double clipNorm, List<String> trainable,
      Map<String, Double> multipliers) {
    this.model = model;
    this.optimizer = optimizer;
    this.task = task;
    this.clipNorm = clipNorm;
    this.multipliers = multipliers;
    for (String name : model.parameterNames()) {
      master.put(name, model.read(name));
    }
    for (String name : trainable) {
      grads.put(name, new float[master.get(name).length]);
    }
  }

  public StepResult step(List<Batch> microBatches, double lr) {
    for (float[] g : grads.values()) {
      Arrays.fill(g, 0f);
    }
    double lossSum = 0;
    double scale = 1.0 / microBatches.size();
    for (Batch b : microBatches) {
      lossSum += model.forwardBackward(b.features(), b.labels(), b.size(), task, scale, grads);
    }
    double loss = lossSum / microBatches.size();
    if (!Double.isFinite(loss)) {
      return new StepResult(loss, Double.NaN);
    }
    List<ParamSlot> slots = new ArrayList<>(grads.size());
    for (Map.Entry<String, float[]> e : grads.entrySet()) {
      slots.add(new ParamSlot(e.getKey(), master.get(e.getKey()), e.getValue(), multipliers.getOrDefault(e.getKey(), 1.0)));
    }
    double norm = clipNorm != null ? GradientClipping.clip(slots, clipNorm) : GradientClipping.norm(slots);
    if (!Double.isFinite(norm)) {
      return new StepResult(loss, norm); // a NaN/inf gradient would poison the weights and the optimizer moments
    }
    optimizer.step(slots, lr);
    for (String name : grads.keySet()) {
      model.write(name, master.get(name));
    }
    return new StepResult(loss, norm);
  }

  /** Mean loss over the given batches without gradients (validation). */
  public double evaluate(List<Batch> batches) {
    double sum = 0;
    long n = 0;
    for (Batch b : batches) {
      sum += model.loss(b.features(), b.labels(), b.size(), task) * b.size();
      n += b.size();
    }
    return sum / n;
  }

  /** The float32 master copy (live view; copy before handing to another thread). */
  public Map<String, float[]> parameters() {
    return master;
  }

  /** Deep copy of the parameters, for checkpoints. */
  public Map<String, float[]> snapshot() {
    Map<String, float[]> copy = new LinkedHashMap<>();
    master.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  /** Replaces parameter values (resume, pretrained weights) and pushes them into the model. */
  public void load(Map<String, float[]> values) {
    for (Map.Entry<String, float[]> e : values.entrySet()) {
      float[] target = master.get(e.getKey());
      if (target == null || target.length != e.getValue().length) {
        throw new IllegalArgumentException("parameter " + e.getKey() + " does not match the model ("
            + (target == null ? "unknown name" : target.length + " values expected, got " + e.getValue().length) + ")");
      }
      System.arraycopy(e.getValue(), 0, target, 0, target.length);
      model.write(e.getKey(), target);
    }
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  public TrainableModel model() {
    return model;
  }
}
