package dev.annealer.trainer.trainee;

import dev.annealer.trainer.ModelFactory;
import dev.annealer.trainer.StepRunner;
import dev.annealer.trainer.StepRunner.StepResult;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.data.BatchPlan;
import dev.annealer.trainer.data.DataReader;
import dev.annealer.trainer.data.Dataset;
import dev.annealer.trainer.data.Locations;
import dev.annealer.trainer.model.DjlModel;
import dev.annealer.trainer.model.Task;
import dev.annealer.trainer.optim.AdamW;
import dev.annealer.trainer.optim.Optimizer;
import dev.annealer.trainer.optim.OptimizerState;
import dev.annealer.trainer.optim.Sgd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float-feature path: a builtin, TorchScript or DJL model on CSV/JSONL number columns, trained by
 * {@link StepRunner} on a float32 master copy with the {@code float[]} {@link Optimizer}s.
 */
public final class FloatTrainee implements Trainee {
  private final TraineeFactory.Context ctx;
  private final DjlModel model;
  private final StepRunner runner;
  private final BatchPlan plan;
  private final List<StepRunner.Batch> validation;
  private final java.util.Set<String> frozen;
  private FrozenBase frozenBase;

  private FloatTrainee(TraineeFactory.Context ctx, DjlModel model, StepRunner runner, BatchPlan plan,
      List<StepRunner.Batch> validation, java.util.Set<String> frozen) {
    this.frozen = frozen;
    this.ctx = ctx;
    this.model = model;
    this.runner = runner;
    this.plan = plan;
    this.validation = validation;
  }

  public static FloatTrainee open(TraineeFactory.Context ctx) {
    JobConfig cfg = ctx.cfg();
    Task task = cfg.data().task().equals("classification") ? Task.CLASSIFICATION : Task.REGRESSION;
    Dataset train = readData(ctx, cfg.data().train(), "spec.data.train");
    Dataset validation = cfg.data().validation() == null ? null : readData(ctx, cfg.data().validation(), "spec.data.validation");
    int outputs = task == Task.REGRESSION ? 1 : classes(cfg, train, validation);
    DjlModel model = ModelFactory.build(cfg.model(), train.featureCount(), outputs, cfg.training().seed(), ctx.device(),
        ctx.env());
    try {
      List<String> trainable = ModelFactory.trainable(model.parameterNames(), cfg.model().trainable());
      for (String n : model.parameterNames()) {
        if (!trainable.contains(n)) {
          model.freeze(n);
        }
      }
      Map<String, Double> multipliers = ModelFactory.multipliers(trainable, cfg.model().learningRateMultipliers());
      StepRunner runner = new StepRunner(model, optimizerOf(cfg.optimizer()), task, cfg.optimizer().gradientClipNorm(),
          trainable, multipliers);
      BatchPlan plan = new BatchPlan(train, cfg.training().batchSize(), cfg.training().gradientAccumulation(),
          cfg.training().seed(), cfg.data().shuffle());
      checkModelFitsData(runner, plan, task);
      java.util.Set<String> frozen = new java.util.LinkedHashSet<>(model.parameterNames());
      trainable.forEach(frozen::remove);
      return new FloatTrainee(ctx, model, runner, plan, validation == null ? null : BatchPlan.sequential(validation, 1024),
          frozen);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  static Optimizer optimizerOf(JobConfig.OptimizerSpec o) {
    return o.type().equals("SGD") ? new Sgd(o.momentum(), o.dampening(), o.nesterov(), o.weightDecay())
        : new AdamW(o.beta1(), o.beta2(), o.epsilon(), o.weightDecay());
  }

  @Override
  public BatchPlan plan() {
    return plan;
  }

  @Override
  public StepResult step(long step, double lr) {
    return runner.step(plan.batches(step), lr);
  }

  @Override
  public boolean hasValidation() {
    return validation != null;
  }

  @Override
  public Map<String, Double> evaluate() {
    Map<String, Double> m = new LinkedHashMap<>();
    if (validation != null) {
      m.put("validationLoss", runner.evaluate(validation));
    }
    return m;
  }

  @Override
  public Map<String, float[]> parameters() {
    return runner.parameters();
  }

  @Override
  public java.util.Set<String> frozen() {
    return frozen;
  }

  /** The digest of the frozen parameters (they never change, so it is computed once). */
  @Override
  public synchronized FrozenBase frozenDigest() {
    if (frozen.isEmpty()) {
      return null;
    }
    if (frozenBase == null) {
      Map<String, float[]> f = new LinkedHashMap<>();
      Map<String, float[]> all = parameters();
      long bytes = 0;
      for (String n : frozen) {
        f.put(n, all.get(n));
        bytes += 4L * all.get(n).length;
      }
      frozenBase = new FrozenBase("parameters", dev.annealer.trainer.ParamsDigest.sha256(f), bytes, f.size());
    }
    return frozenBase;
  }

  @Override
  public OptimizerState optimizerState() {
    return runner.optimizer().state();
  }

  @Override
  public String optimizerType() {
    return runner.optimizer().type();
  }

  @Override
  public void load(Map<String, float[]> params, OptimizerState state) {
    runner.load(params);
    runner.optimizer().restore(state);
  }

  /**
   * Builtin models also leave {@code <checkpoint-dir>/model/model-0000.params} + {@code architecture}: DJL
   * parameters that a later job fine-tunes with {@code format: djl}.
   */
  @Override
  public String export(Path checkpointDir) throws IOException {
    JobConfig cfg = ctx.cfg();
    String architecture = cfg.model().format().equals("builtin") ? cfg.model().source()
        : cfg.model().format().equals("djl") ? architectureOf(cfg) : null;
    if (architecture == null) {
      return null;
    }
    Path dir = checkpointDir.resolve("model");
    Path params = model.saveDjl(dir, "model");
    Files.writeString(dir.resolve(ModelFactory.ARCHITECTURE_FILE), architecture + "\n");
    ctx.log().accept("event=model-export file=" + quote(params.toString()) + " architecture=" + quote(architecture));
    return null;
  }

  private String architectureOf(JobConfig cfg) {
    try {
      Path file = Locations.resolve(cfg.model().source(), ctx.env());
      return Files.readString(file.toAbsolutePath().getParent().resolve(ModelFactory.ARCHITECTURE_FILE)).trim();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    model.close();
  }

  private static Dataset readData(TraineeFactory.Context ctx, String location, String field) {
    JobConfig cfg = ctx.cfg();
    Path file = Locations.resolve(location, ctx.env());
    long t0 = System.nanoTime();
    DataReader reader = new DataReader(cfg.data().features(), cfg.data().label(), cfg.data().skipBadRecords(),
        line -> ctx.onBadRecord().run());
    Dataset d;
    try {
      d = reader.read(file, cfg.data().format(), field);
    } catch (TrainerFailure f) {
      // a file missing from the image or the node is permanent (MissingLocalFile); on a volume it can still appear
      throw Locations.onVolume(location) || f.reason() != TrainerFailure.Reason.MissingFile ? f : Locations.notOnVolume(f);
    }
    ctx.log().accept("event=data field=" + field + " file=" + quote(file.toString()) + " rows=" + d.rows() + " features="
        + d.featureCount() + " skippedBadRecords=" + d.skipped() + " seconds=" + fmt((System.nanoTime() - t0) / 1e9));
    return d;
  }

  private static int classes(JobConfig cfg, Dataset train, Dataset validation) {
    if (cfg.data().numClasses() != null) {
      int n = cfg.data().numClasses();
      if (n < 2) {
        throw TrainerFailure.invalid("spec.data.numClasses", n, "must be >= 2");
      }
      checkLabels(train, n);
      if (validation != null) {
        checkLabels(validation, n);
      }
      return n;
    }
    float max = 0;
    for (Dataset d : validation == null ? List.of(train) : List.of(train, validation)) {
      checkLabels(d, Integer.MAX_VALUE);
      for (float y : d.labels()) {
        max = Math.max(max, y);
      }
    }
    return Math.max(2, (int) max + 1);
  }

  private static void checkLabels(Dataset d, int classes) {
    for (int i = 0; i < d.rows(); i++) {
      float y = d.labels()[i];
      if (y < 0 || y != Math.rint(y) || y >= classes) {
        throw new TrainerFailure(Reason.BadRecord, d.source() + ": record " + (i + 1) + " has label " + y
            + ", classification needs integer class indices 0.." + (classes == Integer.MAX_VALUE ? "C-1" : classes - 1)
            + ": fix the label or set spec.data.task: regression");
      }
    }
  }

  private static void checkModelFitsData(StepRunner runner, BatchPlan plan, Task task) {
    try {
      StepRunner.Batch b = plan.batches(0).get(0);
      runner.model().loss(b.features(), b.labels(), b.size(), task);
    } catch (RuntimeException e) {
      throw new TrainerFailure(Reason.InvalidSpec, "spec.model does not accept the " + runner.model().inputSize()
          + " features of spec.data.features (" + firstLine(e.getMessage()) + "): check the model's input size and the feature list");
    }
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  static String fmt(double d) {
    return Double.isFinite(d) ? String.format(java.util.Locale.ROOT, "%.4g", d) : "NaN";
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
