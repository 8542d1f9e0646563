package dev.annealer.trainer.config;

import java.util.List;
import java.util.Map;

/**
 * What the trainer needs from a FineTuneJob, validated. Built by {@link JobConfigReader} (the only class that knows
 * the YAML/model shape), so the switch to the shared API model is a one-file change.
 */
public record JobConfig(
    Job job,
    Model model,
    Data data,
    Training training,
    OptimizerSpec optimizer,
    Map<String, Object> optimizerAndSchedule,
    CheckpointSpec checkpoint,
    Resources resources) {

  /**
   * @param gpus {@code spec.resources.gpus}: GPUs the pod asked for (0 = CPU job)
   * @param allowCpuFallback {@code spec.resources.allowCpuFallback}: train on CPU when the GPUs are not visible
   */
  /** @param workers {@code spec.workers}: data-parallel workers (the operator starts that many; 1 = alone) */
  public record Resources(int gpus, boolean allowCpuFallback, int workers) {
    public Resources(int gpus, boolean allowCpuFallback) {
      this(gpus, allowCpuFallback, 1);
    }
  }

  public record Job(String name, String namespace, String uid, long generation) {}

  /**
   * @param source {@code builtin:mlp?hidden=64,64&activation=tanh}, {@code file:///...}, {@code pvc://claim/path} or
   *     a relative path
   * @param format {@code builtin}, {@code torchscript}, {@code djl} or {@code huggingface}
   * @param architecture for {@code djl}: the builtin architecture the saved parameters belong to (not in the API yet)
   * @param lora adapters ({@code huggingface} only), or null for a full fine-tune
   */
  public record Model(String source, String format, String architecture, List<String> trainable,
      Map<String, Double> learningRateMultipliers, Lora lora) {
    public boolean huggingFace() {
      return "huggingface".equals(format);
    }
  }

  /**
   * PEFT LoRA settings.
   *
   * @param targetModules empty = the model family's PEFT default
   * @param initFrom a PEFT adapter directory location to start from, or null for fresh adapters
   */
  public record Lora(int rank, double alpha, double dropout, List<String> targetModules, String initFrom,
      boolean exportMerged) {}

  /**
   * @param features empty = every column except the label, in file order
   * @param label null for {@code causalLM}
   * @param task {@code regression}, {@code classification} or {@code causalLM}
   * @param text text column (huggingface), or null
   * @param prompt prompt column (huggingface causalLM, with completion), or null
   * @param completion completion column, or null
   * @param maxLength tokens per record (huggingface), null = the model's maximum
   */
  public record Data(String train, String validation, String format, List<String> features, String label, String task,
      boolean skipBadRecords, boolean shuffle, Integer numClasses, String text, String prompt, String completion,
      Integer maxLength) {}

  /**
   * @param maxSteps exactly one of maxSteps/epochs is set
   * @param mode {@code train} or {@code lrRangeTest}
   */
  public record Training(Long maxSteps, Integer epochs, int batchSize, int gradientAccumulation, Long evalEverySteps,
      long seed, String mode, LrRangeTest lrRangeTest) {}

  /** The sweep runs over the training budget (maxSteps or epochs). */
  public record LrRangeTest(double startLearningRate, double endLearningRate) {}

  public record OptimizerSpec(String type, double learningRate, double weightDecay, double beta1, double beta2,
      double epsilon, double momentum, double dampening, boolean nesterov, Double gradientClipNorm) {}

  /**
   * @param onScheduleChange {@code Refuse} (default): refuse to resume under a different schedule;
   *     {@code Continue}: keep model/optimizer/data position, take the new schedule's LR at that step
   */
  public record CheckpointSpec(Long everySteps, Long everySeconds, int keepLast, boolean keepCycleSnapshots,
      String onScheduleChange) {}
}
