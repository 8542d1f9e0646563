package dev.annealer.trainer.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a FineTuneJob YAML (the whole resource, as the operator mounts it, or a local file) into a validated
 * {@link JobConfig}. This is the only class that knows the manifest's field names.
 */
public final class JobConfigReader {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private JobConfigReader() {}

  public static JobConfig read(Path file) {
    JsonNode root;
    try {
      root = YAML.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new TrainerFailure(Reason.MissingFile, "job file " + file + " does not exist: pass the FineTuneJob YAML with -f");
    } catch (IOException e) {
      throw new TrainerFailure(Reason.InvalidSpec, "job file " + file + " is not valid YAML: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw new TrainerFailure(Reason.InvalidSpec, "job file " + file + " must hold a FineTuneJob object");
    }
    return parse(root);
  }

  static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  public static JobConfig parse(JsonNode root) {
    String kind = root.path("kind").asText("FineTuneJob");
    if (!kind.equals("FineTuneJob")) {
      throw TrainerFailure.invalid("kind", kind, "must be FineTuneJob");
    }
    JsonNode meta = root.path("metadata");
    JobConfig.Job job = new JobConfig.Job(meta.path("name").asText("local"), meta.path("namespace").asText("default"),
        meta.path("uid").asText(""), meta.path("generation").asLong(0));
    JsonNode spec = root.path("spec");
    if (!spec.isObject()) {
      throw TrainerFailure.invalid("spec", spec.isMissingNode() ? "nothing" : spec.toString(), "must be an object");
    }
    return new JobConfig(job, model(spec.path("model")), data(spec.path("data")), training(spec.path("training")),
        optimizer(spec.path("optimizer")), optimizerAndSchedule(spec), checkpoint(spec.path("checkpoint")));
  }

  private static JobConfig.Model model(JsonNode m) {
    String source = required(m, "source", "spec.model.source", "builtin:mlp?hidden=64,64");
    String format = m.path("format").asText(source.startsWith("builtin:") ? "builtin" : "");
    if (!List.of("builtin", "torchscript", "djl").contains(format)) {
      throw TrainerFailure.invalid("spec.model.format", format.isEmpty() ? "nothing" : format,
          "must be one of builtin, torchscript, djl");
    }
    if (format.equals("builtin") && !source.startsWith("builtin:")) {
      throw TrainerFailure.invalid("spec.model.source", source, "must start with builtin: when spec.model.format is builtin");
    }
    String architecture = m.path("architecture").asText(null);
    if (format.equals("djl") && (architecture == null || !architecture.startsWith("builtin:"))) {
      throw TrainerFailure.invalid("spec.model.architecture", architecture,
          "must name the builtin architecture the saved parameters belong to (e.g. builtin:mlp?hidden=64,64) when format is djl");
    }
    List<String> trainable = new ArrayList<>();
    m.path("trainable").forEach(n -> trainable.add(n.asText()));
    Map<String, Double> multipliers = new LinkedHashMap<>();
    m.path("learningRateMultipliers").fields().forEachRemaining(e -> {
      if (!e.getValue().isNumber() || e.getValue().asDouble() < 0) {
        throw TrainerFailure.invalid("spec.model.learningRateMultipliers." + e.getKey(), e.getValue(), "must be a number >= 0");
      }
      multipliers.put(e.getKey(), e.getValue().asDouble());
    });
    return new JobConfig.Model(source, format, architecture, trainable, multipliers);
  }

  private static JobConfig.Data data(JsonNode d) {
    String train = required(d, "train", "spec.data.train", "examples/data/quickstart-train.csv");
    String format = d.path("format").asText(train.endsWith(".jsonl") ? "jsonl" : "csv");
    if (!List.of("csv", "jsonl").contains(format)) {
      throw TrainerFailure.invalid("spec.data.format", format, "must be csv or jsonl");
    }
    List<String> features = new ArrayList<>();
    d.path("features").forEach(n -> features.add(n.asText()));
    if (features.isEmpty()) {
      throw TrainerFailure.invalid("spec.data.features", "nothing", "must list the feature column names, e.g. [x0, x1]");
    }
    String label = required(d, "label", "spec.data.label", "y");
    String task = d.path("task").asText("regression");
    if (!List.of("regression", "classification").contains(task)) {
      throw TrainerFailure.invalid("spec.data.task", task, "must be regression or classification");
    }
    String onBad = d.path("onBadRecord").asText("fail");
    if (!List.of("fail", "skip").contains(onBad)) {
      throw TrainerFailure.invalid("spec.data.onBadRecord", onBad, "must be fail or skip");
    }
    Integer numClasses = d.has("numClasses") ? d.get("numClasses").asInt() : null;
    return new JobConfig.Data(train, d.path("validation").asText(null), format, features, label, task,
        onBad.equals("skip"), d.path("shuffle").asBoolean(true), numClasses);
  }

  private static JobConfig.Training training(JsonNode t) {
    Long maxSteps = t.has("maxSteps") ? t.get("maxSteps").asLong() : null;
    Double epochs = t.has("epochs") ? t.get("epochs").asDouble() : null;
    String mode = t.path("mode").asText("train");
    if (!List.of("train", "lrRangeTest").contains(mode)) {
      throw TrainerFailure.invalid("spec.training.mode", mode, "must be train or lrRangeTest");
    }
    JsonNode r = t.path("lrRangeTest");
    JobConfig.LrRangeTest range = new JobConfig.LrRangeTest(r.path("minLearningRate").asDouble(1e-7),
        r.path("maxLearningRate").asDouble(10.0), r.path("steps").asInt(100));
    if (mode.equals("lrRangeTest")) {
      if (!(range.minLearningRate() > 0 && range.maxLearningRate() > range.minLearningRate())) {
        throw TrainerFailure.invalid("spec.training.lrRangeTest", range.minLearningRate() + ".." + range.maxLearningRate(),
            "needs 0 < minLearningRate < maxLearningRate");
      }
      if (range.steps() < 2) {
        throw TrainerFailure.invalid("spec.training.lrRangeTest.steps", range.steps(), "must be >= 2");
      }
    } else if ((maxSteps == null) == (epochs == null)) {
      throw TrainerFailure.invalid("spec.training", maxSteps == null ? "neither" : "both",
          "must set exactly one of maxSteps and epochs");
    }
    if (maxSteps != null && maxSteps < 1) {
      throw TrainerFailure.invalid("spec.training.maxSteps", maxSteps, "must be >= 1");
    }
    if (epochs != null && !(epochs > 0)) {
      throw TrainerFailure.invalid("spec.training.epochs", epochs, "must be > 0");
    }
    int batchSize = t.path("batchSize").asInt(32);
    if (batchSize < 1) {
      throw TrainerFailure.invalid("spec.training.batchSize", batchSize, "must be >= 1");
    }
    int accumulation = t.path("gradientAccumulation").asInt(1);
    if (accumulation < 1) {
      throw TrainerFailure.invalid("spec.training.gradientAccumulation", accumulation, "must be >= 1");
    }
    Long evalEvery = t.has("evalEverySteps") ? t.get("evalEverySteps").asLong() : null;
    if (evalEvery != null && evalEvery < 1) {
      throw TrainerFailure.invalid("spec.training.evalEverySteps", evalEvery, "must be >= 1");
    }
    return new JobConfig.Training(maxSteps, epochs, batchSize, accumulation, evalEvery, t.path("seed").asLong(0), mode,
        range, null);
  }

  private static JobConfig.OptimizerSpec optimizer(JsonNode o) {
    String type = o.path("type").asText("AdamW");
    if (!List.of("AdamW", "SGD").contains(type)) {
      throw TrainerFailure.invalid("spec.optimizer.type", type, "must be AdamW or SGD");
    }
    if (!o.has("learningRate")) {
      throw TrainerFailure.invalid("spec.optimizer.learningRate", "nothing", "must be set (the base / peak learning rate)");
    }
    double lr = o.get("learningRate").asDouble();
    if (!(lr > 0)) {
      throw TrainerFailure.invalid("spec.optimizer.learningRate", o.get("learningRate"), "must be > 0");
    }
    double beta1 = 0.9;
    double beta2 = 0.999;
    if (o.has("betas")) {
      JsonNode b = o.get("betas");
      if (!b.isArray() || b.size() != 2) {
        throw TrainerFailure.invalid("spec.optimizer.betas", b, "must be a list of two numbers in [0, 1), e.g. [0.9, 0.999]");
      }
      beta1 = b.get(0).asDouble();
      beta2 = b.get(1).asDouble();
      if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
        throw TrainerFailure.invalid("spec.optimizer.betas", b, "must be two numbers in [0, 1)");
      }
    }
    double wd = o.path("weightDecay").asDouble(type.equals("AdamW") ? 0.01 : 0.0);
    if (wd < 0) {
      throw TrainerFailure.invalid("spec.optimizer.weightDecay", wd, "must be >= 0");
    }
    double momentum = o.path("momentum").asDouble(0.0);
    double dampening = o.path("dampening").asDouble(0.0);
    boolean nesterov = o.path("nesterov").asBoolean(false);
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw TrainerFailure.invalid("spec.optimizer.nesterov", true, "requires momentum > 0 and dampening 0 (as torch.optim.SGD)");
    }
    Double clip = o.has("gradientClipNorm") ? o.get("gradientClipNorm").asDouble() : null;
    if (clip != null && !(clip > 0)) {
      throw TrainerFailure.invalid("spec.optimizer.gradientClipNorm", clip, "must be > 0 (omit it to disable clipping)");
    }
    return new JobConfig.OptimizerSpec(type, lr, wd, beta1, beta2, o.path("epsilon").asDouble(1e-8), momentum, dampening,
        nesterov, clip);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> optimizerAndSchedule(JsonNode spec) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("optimizer", YAML.convertValue(spec.path("optimizer"), Map.class));
    out.put("schedule", spec.has("schedule") ? YAML.convertValue(spec.get("schedule"), Map.class) : Map.of("type", "Constant"));
    return out;
  }

  private static JobConfig.CheckpointSpec checkpoint(JsonNode c) {
    Long everySteps = c.has("everySteps") ? c.get("everySteps").asLong() : null;
    if (everySteps != null && everySteps < 1) {
      throw TrainerFailure.invalid("spec.checkpoint.everySteps", everySteps, "must be >= 1");
    }
    Long everySeconds = null;
    if (c.has("everySeconds")) {
      everySeconds = c.get("everySeconds").asLong();
    } else if (everySteps == null) {
      everySeconds = 600L;
    }
    if (everySeconds != null && everySeconds < 1) {
      throw TrainerFailure.invalid("spec.checkpoint.everySeconds", everySeconds, "must be >= 1");
    }
    int keepLast = c.path("keepLast").asInt(3);
    if (keepLast < 1) {
      throw TrainerFailure.invalid("spec.checkpoint.keepLast", keepLast, "must be >= 1 (the newest checkpoint is what a resume needs)");
    }
    String onChange = c.path("onScheduleChange").asText("fail");
    if (!List.of("fail", "continueWithNewSchedule").contains(onChange)) {
      throw TrainerFailure.invalid("spec.checkpoint.onScheduleChange", onChange, "must be fail or continueWithNewSchedule");
    }
    return new JobConfig.CheckpointSpec(everySteps, everySeconds, keepLast, c.path("keepCycleSnapshots").asBoolean(false),
        onChange);
  }

  private static String required(JsonNode parent, String key, String field, String example) {
    JsonNode n = parent.get(key);
    if (n == null || n.isNull() || n.asText().isBlank()) {
      throw TrainerFailure.invalid(field, "nothing", "must be set, e.g. " + example);
    }
    return n.asText();
  }
}
