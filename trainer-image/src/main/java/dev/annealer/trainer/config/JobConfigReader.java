package dev.annealer.trainer.config;

import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.ManifestException;
import dev.annealer.api.v1alpha1.CheckpointSpec;
import dev.annealer.api.v1alpha1.DataSpec;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.LoraSpec;
import dev.annealer.api.v1alpha1.LrRangeTestSpec;
import dev.annealer.api.v1alpha1.ModelFormat;
import dev.annealer.api.v1alpha1.ModelSpec;
import dev.annealer.api.v1alpha1.OnBadRecord;
import dev.annealer.api.v1alpha1.OnScheduleChange;
import dev.annealer.api.v1alpha1.OptimizerSpec;
import dev.annealer.api.v1alpha1.OptimizerType;
import dev.annealer.api.v1alpha1.TrainingMode;
import dev.annealer.api.v1alpha1.TrainingSpec;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a FineTuneJob (the whole resource, as the operator mounts it, or a local file) through the shared API model
 * ({@link FineTuneJobs}, strict like the API server) into the trainer's {@link JobConfig}. The only class that knows
 * the API model; rules the CRD enforces with CEL are re-checked here because a local file never met the API server.
 */
public final class JobConfigReader {
  private JobConfigReader() {}

  public static JobConfig read(Path file) {
    FineTuneJob job;
    try {
      job = FineTuneJobs.read(file);
    } catch (ManifestException e) {
      Reason reason = e.field() == null && e.getMessage().contains("no such file") ? Reason.MissingFile : Reason.InvalidSpec;
      throw new TrainerFailure(reason, oneLine(e));
    }
    return toConfig(job);
  }

  public static JobConfig parse(String yaml, String source) {
    try {
      return toConfig(FineTuneJobs.parse(yaml, source));
    } catch (ManifestException e) {
      throw new TrainerFailure(Reason.InvalidSpec, oneLine(e));
    }
  }

  /** The termination message is one line: every violation of an invalid manifest, separated by "; ". */
  private static String oneLine(ManifestException e) {
    return e.getMessage().replace("\n", "; ");
  }

  @SuppressWarnings("unchecked")
  static JobConfig toConfig(FineTuneJob job) {
    FineTuneJobSpec spec = job.getSpec();
    var meta = job.getMetadata();
    JobConfig.Job j = new JobConfig.Job(meta == null || meta.getName() == null ? "local" : meta.getName(),
        meta == null || meta.getNamespace() == null ? "default" : meta.getNamespace(),
        meta == null || meta.getUid() == null ? "" : meta.getUid(),
        meta == null || meta.getGeneration() == null ? 0 : meta.getGeneration());
    Map<String, Object> optimizerAndSchedule = new LinkedHashMap<>();
    optimizerAndSchedule.put("optimizer", FineTuneJobs.mapper().convertValue(spec.getOptimizer(), Map.class));
    optimizerAndSchedule.put("schedule", spec.getSchedule() == null ? Map.of("type", "Constant")
        : FineTuneJobs.mapper().convertValue(spec.getSchedule(), Map.class));
    JobConfig.Model model = model(spec.getModel());
    return new JobConfig(j, model, data(spec.getData(), model), training(spec.getTraining()),
        optimizer(spec.getOptimizer()), optimizerAndSchedule, checkpoint(spec.getCheckpoint()), resources(spec));
  }

  private static JobConfig.Model model(ModelSpec m) {
    if (m == null || m.getSource() == null || m.getSource().isBlank()) {
      throw TrainerFailure.invalid("spec.model.source", "nothing", "must be set, e.g. builtin:mlp?hidden=64,64");
    }
    String format = switch (m.effectiveFormat()) {
      case BUILTIN -> "builtin";
      case TORCHSCRIPT -> "torchscript";
      case DJL -> "djl";
      case HUGGINGFACE -> "huggingface";
    };
    if ((m.effectiveFormat() == ModelFormat.BUILTIN) != m.getSource().startsWith("builtin:")) {
      throw TrainerFailure.invalid("spec.model.format", format,
          "must be builtin exactly when spec.model.source starts with builtin: (source " + m.getSource() + ")");
    }
    Map<String, Double> multipliers = m.getLearningRateMultipliers() == null ? Map.of() : m.getLearningRateMultipliers();
    multipliers.forEach((k, v) -> {
      if (v == null || !(v > 0)) {
        throw TrainerFailure.invalid("spec.model.learningRateMultipliers." + k, v,
            "must be > 0: a zero factor freezes the group, use spec.model.trainable for that");
      }
    });
    return new JobConfig.Model(m.getSource(), format, null, m.getTrainable() == null ? List.of() : m.getTrainable(),
        multipliers, lora(m.getLora(), format));
  }

  private static JobConfig.Lora lora(LoraSpec l, String format) {
    if (l == null) {
      return null;
    }
    if (!format.equals("huggingface")) {
      throw TrainerFailure.invalid("spec.model.lora", "set with spec.model.format " + format,
          "needs spec.model.format: huggingface (adapters are for Hugging Face models); remove spec.model.lora");
    }
    int rank = l.getRank() == null ? 8 : l.getRank();
    if (rank < 1) {
      throw TrainerFailure.invalid("spec.model.lora.rank", rank, "must be >= 1, e.g. 8");
    }
    double alpha = l.getAlpha() == null ? 8 : l.getAlpha();
    if (!(alpha > 0)) {
      throw TrainerFailure.invalid("spec.model.lora.alpha", alpha, "must be > 0, e.g. 16");
    }
    double dropout = l.getDropout() == null ? 0 : l.getDropout();
    if (!(dropout >= 0 && dropout < 1)) {
      throw TrainerFailure.invalid("spec.model.lora.dropout", dropout, "must be in [0, 1), e.g. 0.05");
    }
    List<String> targets = l.getTargetModules() == null ? List.of() : l.getTargetModules();
    if (l.getTargetModules() != null && targets.isEmpty()) {
      throw TrainerFailure.invalid("spec.model.lora.targetModules", "[]",
          "must name at least one module, e.g. [q_proj, v_proj]; leave it out for the family's default");
    }
    for (String t : targets) {
      if (t == null || t.isBlank()) {
        throw TrainerFailure.invalid("spec.model.lora.targetModules", targets, "must not hold empty names");
      }
    }
    if (l.getInitFrom() != null && l.getInitFrom().isBlank()) {
      throw TrainerFailure.invalid("spec.model.lora.initFrom", "\"\"", "must be a PEFT adapter directory or left out");
    }
    return new JobConfig.Lora(rank, alpha, dropout, targets, l.getInitFrom(), Boolean.TRUE.equals(l.getExportMerged()));
  }

  private static JobConfig.Data data(DataSpec d, JobConfig.Model model) {
    if (d == null || d.getTrain() == null || d.getTrain().isBlank()) {
      throw TrainerFailure.invalid("spec.data.train", "nothing", "must be set, e.g. examples/data/quickstart-train.csv");
    }
    String task = d.getTask() == null ? "regression" : switch (d.getTask()) {
      case REGRESSION -> "regression";
      case CLASSIFICATION -> "classification";
      case CAUSAL_LM -> "causalLM";
    };
    boolean shuffle = d.getShuffle() == null || d.getShuffle();
    String format = d.getFormat() == null ? "csv" : d.getFormat().name().toLowerCase(java.util.Locale.ROOT);
    boolean skip = d.getOnBadRecord() == OnBadRecord.SKIP;
    String text = blankToNull(d.getText(), "spec.data.text");
    String prompt = blankToNull(d.getPrompt(), "spec.data.prompt");
    String completion = blankToNull(d.getCompletion(), "spec.data.completion");
    if (model.huggingFace()) {
      return textData(d, model, task, shuffle, format, skip, text, prompt, completion);
    }
    if (task.equals("causalLM")) {
      throw TrainerFailure.invalid("spec.data.task", "causalLM", "needs spec.model.format: huggingface (a language model); "
          + "spec.model.format is " + model.format());
    }
    for (var e : new Object[][] {{"spec.data.text", text}, {"spec.data.prompt", prompt}, {"spec.data.completion", completion},
        {"spec.data.maxLength", d.getMaxLength()}}) {
      if (e[1] != null) {
        throw TrainerFailure.invalid((String) e[0], e[1], "is for spec.model.format: huggingface; spec.model.format "
            + model.format() + " reads float columns (spec.data.features and spec.data.label): remove it");
      }
    }
    if (d.getLabel() == null || d.getLabel().isBlank()) {
      throw TrainerFailure.invalid("spec.data.label", "nothing", "must name the target column, e.g. y");
    }
    List<String> features = d.getFeatures() == null ? List.of() : d.getFeatures();
    if (features.contains(d.getLabel())) {
      throw TrainerFailure.invalid("spec.data.features", features, "must not list the label " + d.getLabel()
          + ": the model would see the answer");
    }
    return new JobConfig.Data(d.getTrain(), d.getValidation(), format, features, d.getLabel(), task, skip, shuffle, null,
        null, null, null, null);
  }

  private static JobConfig.Data textData(DataSpec d, JobConfig.Model model, String task, boolean shuffle, String format,
      boolean skip, String text, String prompt, String completion) {
    if (d.getFeatures() != null && !d.getFeatures().isEmpty()) {
      throw TrainerFailure.invalid("spec.data.features", d.getFeatures(), "is for float models; spec.model.format "
          + "huggingface reads spec.data.text (or prompt + completion): remove spec.data.features");
    }
    if ((prompt == null) != (completion == null)) {
      throw TrainerFailure.invalid(prompt == null ? "spec.data.prompt" : "spec.data.completion", "nothing",
          "must be set together with " + (prompt == null ? "spec.data.completion" : "spec.data.prompt")
              + ": the loss is taken on the completion");
    }
    if (task.equals("causalLM")) {
      if ((text == null) == (prompt == null)) {
        throw TrainerFailure.invalid("spec.data", text == null ? "neither text nor prompt" : "both text and prompt",
            "task causalLM needs exactly one of spec.data.text (loss on every token) or spec.data.prompt + "
                + "spec.data.completion (loss on the completion)");
      }
    } else {
      if (text == null) {
        throw TrainerFailure.invalid("spec.data.text", "nothing", "must name the text column for task " + task
            + " with spec.model.format huggingface, e.g. text");
      }
      if (prompt != null) {
        throw TrainerFailure.invalid("spec.data.prompt", prompt, "is for task causalLM; task " + task
            + " reads spec.data.text: remove spec.data.prompt and spec.data.completion");
      }
      if (d.getLabel() == null || d.getLabel().isBlank()) {
        throw TrainerFailure.invalid("spec.data.label", "nothing", "must name the label column for task " + task
            + ", e.g. label");
      }
    }
    if (d.getMaxLength() != null && d.getMaxLength() < 2) {
      throw TrainerFailure.invalid("spec.data.maxLength", d.getMaxLength(), "must be >= 2 tokens, e.g. 512");
    }
    if (!format.equals("jsonl") && !format.equals("csv")) {
      throw TrainerFailure.invalid("spec.data.format", format, "must be jsonl or csv");
    }
    return new JobConfig.Data(d.getTrain(), d.getValidation(), format, List.of(),
        task.equals("causalLM") ? null : d.getLabel(), task, skip, shuffle, null, text, prompt, completion,
        d.getMaxLength());
  }

  private static String blankToNull(String s, String field) {
    if (s != null && s.isBlank()) {
      throw TrainerFailure.invalid(field, "\"\"", "must name a column or be left out");
    }
    return s;
  }

  private static JobConfig.Training training(TrainingSpec t) {
    if (t == null || (t.getMaxSteps() == null) == (t.getEpochs() == null)) {
      throw TrainerFailure.invalid("spec.training", t == null || t.getMaxSteps() == null ? "neither" : "both",
          "must set exactly one of maxSteps and epochs: it is the budget the schedule is fitted to");
    }
    if (t.getMaxSteps() != null && t.getMaxSteps() < 1) {
      throw TrainerFailure.invalid("spec.training.maxSteps", t.getMaxSteps(), "must be >= 1");
    }
    if (t.getEpochs() != null && t.getEpochs() < 1) {
      throw TrainerFailure.invalid("spec.training.epochs", t.getEpochs(), "must be >= 1");
    }
    int batchSize = t.getBatchSize() == null ? 32 : t.getBatchSize();
    if (batchSize < 1) {
      throw TrainerFailure.invalid("spec.training.batchSize", batchSize, "must be >= 1");
    }
    int accumulation = t.getGradientAccumulation() == null ? 1 : t.getGradientAccumulation();
    if (accumulation < 1) {
      throw TrainerFailure.invalid("spec.training.gradientAccumulation", accumulation, "must be >= 1");
    }
    if (t.getEvalEverySteps() != null && t.getEvalEverySteps() < 1) {
      throw TrainerFailure.invalid("spec.training.evalEverySteps", t.getEvalEverySteps(), "must be >= 1");
    }
    String mode = t.getMode() == TrainingMode.LR_RANGE_TEST ? "lrRangeTest" : "train";
    LrRangeTestSpec r = t.getLrRangeTest();
    double start = r == null || r.getStartLearningRate() == null ? 1e-7 : r.getStartLearningRate();
    double end = r == null || r.getEndLearningRate() == null ? 10.0 : r.getEndLearningRate();
    if (mode.equals("lrRangeTest") && !(start > 0 && end > start)) {
      throw TrainerFailure.invalid("spec.training.lrRangeTest", start + ".." + end,
          "needs 0 < startLearningRate < endLearningRate: the sweep is geometric and rising");
    }
    return new JobConfig.Training(t.getMaxSteps(), t.getEpochs(), batchSize, accumulation, t.getEvalEverySteps(),
        t.getSeed() == null ? 0 : t.getSeed(), mode, new JobConfig.LrRangeTest(start, end));
  }

  private static JobConfig.OptimizerSpec optimizer(OptimizerSpec o) {
    if (o == null || o.getLearningRate() == null) {
      throw TrainerFailure.invalid("spec.optimizer.learningRate", "nothing", "must be set (the base / peak learning rate)");
    }
    if (!(o.getLearningRate() > 0)) {
      throw TrainerFailure.invalid("spec.optimizer.learningRate", o.getLearningRate(), "must be > 0");
    }
    List<Double> betas = o.effectiveBetas();
    if (betas.size() != 2 || betas.stream().anyMatch(b -> b == null || b < 0 || b >= 1)) {
      throw TrainerFailure.invalid("spec.optimizer.betas", betas, "must be two numbers in [0, 1), e.g. [0.9, 0.999]");
    }
    if (o.effectiveWeightDecay() < 0) {
      throw TrainerFailure.invalid("spec.optimizer.weightDecay", o.effectiveWeightDecay(), "must be >= 0");
    }
    double momentum = o.getMomentum() == null ? 0 : o.getMomentum();
    double dampening = o.getDampening() == null ? 0 : o.getDampening();
    boolean nesterov = Boolean.TRUE.equals(o.getNesterov());
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw TrainerFailure.invalid("spec.optimizer.nesterov", true, "requires momentum > 0 and dampening 0 (as torch.optim.SGD)");
    }
    Double clip = o.getGradientClipNorm();
    if (clip != null && !(clip > 0)) {
      throw TrainerFailure.invalid("spec.optimizer.gradientClipNorm", clip, "must be > 0 (omit it to disable clipping)");
    }
    String type = o.effectiveType() == OptimizerType.SGD ? "SGD" : "AdamW";
    return new JobConfig.OptimizerSpec(type, o.getLearningRate(), o.effectiveWeightDecay(), betas.get(0), betas.get(1),
        o.effectiveEpsilon(), momentum, dampening, nesterov, clip);
  }

  private static JobConfig.CheckpointSpec checkpoint(CheckpointSpec c) {
    Long everySteps = c == null ? null : c.getEverySteps();
    if (everySteps != null && everySteps < 1) {
      throw TrainerFailure.invalid("spec.checkpoint.everySteps", everySteps, "must be >= 1");
    }
    Long everySeconds = c == null ? null : c.getEverySeconds();
    if (everySeconds == null && everySteps == null) {
      everySeconds = 600L;
    }
    if (everySeconds != null && everySeconds < 1) {
      throw TrainerFailure.invalid("spec.checkpoint.everySeconds", everySeconds, "must be >= 1");
    }
    int keepLast = c == null || c.getKeepLast() == null ? 3 : c.getKeepLast();
    if (keepLast < 1) {
      throw TrainerFailure.invalid("spec.checkpoint.keepLast", keepLast, "must be >= 1: a resume needs a checkpoint");
    }
    boolean snapshots = c != null && Boolean.TRUE.equals(c.getKeepCycleSnapshots());
    String onChange = c != null && c.getOnScheduleChange() == OnScheduleChange.CONTINUE ? "Continue" : "Refuse";
    return new JobConfig.CheckpointSpec(everySteps, everySeconds, keepLast, snapshots, onChange);
  }

  private static JobConfig.Resources resources(FineTuneJobSpec spec) {
    var r = spec.getResources();
    int gpus = r == null || r.getGpus() == null ? 0 : r.getGpus();
    if (gpus < 0) {
      throw TrainerFailure.invalid("spec.resources.gpus", gpus, "must be >= 0 (0 trains on CPU)");
    }
    return new JobConfig.Resources(gpus, r != null && Boolean.TRUE.equals(r.getAllowCpuFallback()),
        spec.getWorkers() == null ? 1 : spec.getWorkers());
  }
}
