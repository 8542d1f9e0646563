package dev.annealer.trainer.trainee;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.annealer.trainer.ModelFactory;
import dev.annealer.trainer.StepRunner.StepResult;
import dev.annealer.trainer.checkpoint.TensorFile;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.data.BatchPlan;
import dev.annealer.trainer.data.Locations;
import dev.annealer.trainer.data.TextDataReader;
import dev.annealer.trainer.data.TextRecord;
import dev.annealer.trainer.dist.ProcessGroup;
import dev.annealer.trainer.hf.LanguageModel;
import dev.annealer.trainer.hf.TokenBatch;
import dev.annealer.trainer.model.ParameterValues;
import dev.annealer.trainer.optim.AdamW;
import dev.annealer.trainer.optim.OptimizerState;
import dev.annealer.trainer.optim.TensorAdamW;
import dev.annealer.trainer.optim.TensorClipping;
import dev.annealer.trainer.optim.TensorOptimizer;
import dev.annealer.trainer.optim.TensorSgd;
import dev.annealer.trainer.optim.TensorSlot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Hugging Face path: a {@link LanguageModel} trained on tokenized text. Weights, gradients and optimizer state
 * stay in libtorch and are updated in place ({@link TensorOptimizer}); only checkpoints copy them to {@code float[]}.
 *
 * <p>A step: for each micro-batch of {@link BatchPlan#rows(long)}, tokenize ({@link TextBatcher}), loss, backward of
 * loss/A (gradients accumulate in libtorch); then global-norm clipping, the optimizer update with autograd off, and
 * zeroed gradients. Each micro-batch runs in an {@link NDScope}, so every intermediate tensor is freed with it.
 */
public final class HfTrainee implements Trainee {
  /** The directory under the checkpoint directory that holds the exported model after success. */
  public static final String FINAL_DIR = "final";

  private final TraineeFactory.Context ctx;
  private final LanguageModel model;
  private final TextBatcher batcher;
  private final List<TextRecord> train;
  private final List<TextRecord> validation;
  private final BatchPlan plan;
  private final TensorOptimizer optimizer;
  private final Double clipNorm;
  private final LinkedHashMap<String, NDArray> params;
  private final List<String> trainable;
  private final Map<String, Double> multipliers;
  private final NDManager manager;
  private final ProcessGroup group;

  HfTrainee(TraineeFactory.Context ctx, LanguageModel model, TextBatcher batcher, List<TextRecord> train,
      List<TextRecord> validation) {
    JobConfig cfg = ctx.cfg();
    this.ctx = ctx;
    this.model = model;
    this.batcher = batcher;
    this.train = train;
    this.validation = validation;
    this.manager = NDManager.newBaseManager(ctx.device(), "PyTorch");
    this.params = model.trainableParameters();
    List<String> names = new ArrayList<>(params.keySet());
    this.trainable = ModelFactory.trainable(names, cfg.model().trainable());
    for (String n : names) {
      params.get(n).setRequiresGradient(trainable.contains(n));
    }
    this.multipliers = ModelFactory.multipliers(trainable, cfg.model().learningRateMultipliers());
    this.clipNorm = cfg.optimizer().gradientClipNorm();
    JobConfig.OptimizerSpec o = cfg.optimizer();
    this.optimizer = o.type().equals("SGD") ? new TensorSgd(o.momentum(), o.dampening(), o.nesterov(), o.weightDecay(),
        ctx.device()) : new TensorAdamW(o.beta1(), o.beta2(), o.epsilon(), o.weightDecay(), ctx.device());
    this.plan = new BatchPlan(train.size(), cfg.training().batchSize(), cfg.training().gradientAccumulation(),
        cfg.training().seed(), cfg.data().shuffle());
    this.group = ctx.group();
    if (group.worldSize() > 1) {
      if (train.size() < group.worldSize()) {
        throw TrainerFailure.invalid("spec.data.train", train.size() + " records", "needs at least one record per worker ("
            + group.worldSize() + " workers): add records or use fewer workers");
      }
      broadcastParameters(); // identical initial weights: rank 0's
    }
  }

  /** Every rank takes rank 0's parameters (all of them, frozen ones too: they are cheap next to a wrong replica). */
  private void broadcastParameters() {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      group.broadcast(new ArrayList<>(params.values()), 0);
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** Reads the data, loads model and tokenizer through {@code backend}, and checks that a first batch goes through. */
  public static HfTrainee open(TraineeFactory.Context ctx, HfBackend backend) {
    JobConfig cfg = ctx.cfg();
    Path modelDir = directory(cfg.model().source(), "spec.model.source", ctx);
    Path loraInit = cfg.model().lora() == null || cfg.model().lora().initFrom() == null ? null
        : directory(cfg.model().lora().initFrom(), "spec.model.lora.initFrom", ctx);
    List<TextRecord> train = readText(ctx, cfg.data().train(), "spec.data.train");
    List<TextRecord> validation = cfg.data().validation() == null ? null
        : readText(ctx, cfg.data().validation(), "spec.data.validation");
    long t0 = System.nanoTime();
    LanguageModel model = backend.load(modelDir, loraInit, cfg, ctx.device(), ctx.log());
    try {
      TextBatcher batcher = backend.batcher(modelDir, cfg, model);
      HfTrainee t = new HfTrainee(ctx, model, batcher, train, validation);
      ctx.log().accept("event=model family=" + model.family() + " source=" + FloatTrainee.quote(modelDir.toString())
          + " trainableTensors=" + t.trainable.size() + " trainableParameters=" + t.trainableCount()
          + (cfg.model().lora() != null ? " lora=r" + cfg.model().lora().rank() : "") + " seconds="
          + FloatTrainee.fmt((System.nanoTime() - t0) / 1e9));
      return t;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private long trainableCount() {
    long n = 0;
    for (String name : trainable) {
      n += params.get(name).getShape().size();
    }
    return n;
  }

  private static Path directory(String location, String field, TraineeFactory.Context ctx) {
    Path p = Locations.resolve(location, ctx.env());
    if (!Files.isDirectory(p)) {
      throw new TrainerFailure(Reason.MissingFile, field + " " + location + " is not a directory (" + p + "): a Hugging Face "
          + "model is a directory with config.json, model.safetensors and tokenizer.json; pvc://CLAIM/path resolves "
          + "under ANNEALER_PVC_ROOT, relative paths under the working directory");
    }
    return p;
  }

  private static List<TextRecord> readText(TraineeFactory.Context ctx, String location, String field) {
    JobConfig.Data d = ctx.cfg().data();
    Path file = Locations.resolve(location, ctx.env());
    long t0 = System.nanoTime();
    TextDataReader reader = new TextDataReader(new TextDataReader.Columns(d.text(), d.prompt(), d.completion(), d.label(),
        d.task()), d.skipBadRecords(), line -> ctx.onBadRecord().run());
    List<TextRecord> records = reader.read(file, d.format(), field);
    ctx.log().accept("event=data field=" + field + " file=" + FloatTrainee.quote(file.toString()) + " records="
        + records.size() + " seconds=" + FloatTrainee.fmt((System.nanoTime() - t0) / 1e9));
    return records;
  }

  @Override
  public BatchPlan plan() {
    return plan;
  }

  @Override
  public StepResult step(long step, double lr) {
    if (group.worldSize() > 1) {
      return stepDataParallel(step, lr);
    }
    List<int[]> micro = plan.rows(step);
    double lossSum = 0;
    for (int[] rows : micro) {
      try (NDScope scope = new NDScope(); NDManager sub = manager.newSubManager();
          TokenBatch batch = batcher.encode(select(train, rows), sub);
          GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        scope.suppressNotUsedWarning();
        NDArray loss = model.loss(batch);
        lossSum += loss.getFloat();
        // the divisor is a torch-owned tensor alive until after backward: autograd keeps a pointer to it, and a scalar
        // from NDArray.div(Number) lives in a Java buffer that is released (and may be freed by GC) right after the op
        collector.backward(micro.size() == 1 ? loss : loss.div(sub.full(new Shape(), (float) micro.size())));
      }
    }
    return update(lossSum / micro.size(), lr);
  }

  /**
   * One step of data-parallel training: this rank reads its contiguous share of each micro-batch of the global batch
   * ({@code rows[n·rank/N .. n·(rank+1)/N)}). Each share's loss is weighted by its share of the micro-batch's loss
   * weight (label tokens for causalLM, records otherwise, summed over the ranks by one allreduce), times N/A, so that
   * the mean of the ranks' gradients (allreduce) is the gradient of the global batch's loss, as one worker computes it
   * up to float summation order. The logged loss is the global batch's (a sum over the ranks).
   */
  private StepResult stepDataParallel(long step, double lr) {
    List<int[]> micro = plan.rows(step);
    int world = group.worldSize();
    int rank = group.rank();
    boolean causal = ctx.cfg().data().task().equals("causalLM");
    double lossShare = 0;
    for (int[] all : micro) {
      int[] rows = Arrays.copyOfRange(all, (int) ((long) all.length * rank / world),
          (int) ((long) all.length * (rank + 1) / world));
      try (NDScope scope = new NDScope(); NDManager sub = manager.newSubManager();
          TokenBatch batch = rows.length == 0 ? null : batcher.encode(select(train, rows), sub)) {
        scope.suppressNotUsedWarning();
        long local = batch == null ? 0 : lossWeight(batch, rows.length, causal);
        NDArray total = sub.create(new long[] {local});
        group.allreduce(List.of(total), ProcessGroup.Op.SUM);
        long global = total.toLongArray()[0];
        if (global == 0) {
          lossShare = Double.NaN; // no label in the whole micro-batch: the loss is undefined, as with one worker
          continue;
        }
        if (local == 0) {
          continue;
        }
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray loss = model.loss(batch);
          double share = (double) local / global;
          lossShare += loss.getFloat() * share;
          // torch-owned factor (see step): the gradient of loss·share·N/A, averaged over N ranks
          collector.backward(loss.mul(sub.full(new Shape(), (float) (share * world / micro.size()))));
        }
      }
    }
    double loss;
    try (NDManager sub = manager.newSubManager()) {
      NDArray l = sub.create(new double[] {lossShare / micro.size()});
      group.allreduce(List.of(l), ProcessGroup.Op.SUM);
      loss = l.toDoubleArray()[0];
    }
    if (!Double.isFinite(loss)) {
      zeroGrads();
      return new StepResult(loss, Double.NaN);
    }
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDScope scope = new NDScope(); NDManager sub = manager.newSubManager()) {
      scope.suppressNotUsedWarning();
      List<NDArray> grads = new ArrayList<>(trainable.size());
      for (String name : trainable) {
        NDArray g = params.get(name).getGradient();
        g.attach(sub);
        grads.add(g);
      }
      group.allreduce(grads, ProcessGroup.Op.AVG);
    } finally {
      JniUtils.setGradMode(grad);
    }
    return update(loss, lr);
  }

  /** The weight of a batch's mean loss: label tokens that count (causalLM), else records. */
  private static long lossWeight(TokenBatch batch, int records, boolean causal) {
    if (!causal) {
      return records;
    }
    return batch.labels().get(new NDIndex(":, 1:")).neq(-100).sum().toType(ai.djl.ndarray.types.DataType.INT64, false)
        .getLong();
  }

  /** Clipping and the optimizer update on the accumulated gradients (zeroed afterwards); a non-finite loss skips it. */
  private StepResult update(double loss, double lr) {
    if (!Double.isFinite(loss)) {
      zeroGrads();
      return new StepResult(loss, Double.NaN);
    }
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDScope scope = new NDScope(); NDManager sub = manager.newSubManager()) {
      scope.suppressNotUsedWarning();
      List<TensorSlot> slots = new ArrayList<>(trainable.size());
      for (String name : trainable) {
        NDArray p = params.get(name);
        NDArray g = p.getGradient();
        g.attach(sub);
        slots.add(new TensorSlot(name, p, g, multipliers.getOrDefault(name, 1.0)));
      }
      double norm = clipNorm != null ? TensorClipping.clip(slots, clipNorm, sub) : TensorClipping.norm(slots, sub);
      if (!Double.isFinite(norm)) {
        zeroGrads(); // a NaN/inf gradient would poison the weights and the optimizer moments: no update
        return new StepResult(loss, norm);
      }
      optimizer.step(slots, lr);
      for (TensorSlot s : slots) {
        JniUtils.zeroGrad((PtNDArray) s.values());
      }
      return new StepResult(loss, norm);
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  private void zeroGrads() {
    for (String name : trainable) {
      JniUtils.zeroGrad((PtNDArray) params.get(name));
    }
  }

  private static List<TextRecord> select(List<TextRecord> records, int[] rows) {
    List<TextRecord> out = new ArrayList<>(rows.length);
    for (int r : rows) {
      out.add(records.get(r));
    }
    return out;
  }

  @Override
  public boolean hasValidation() {
    return validation != null;
  }

  /**
   * causalLM: the token-weighted mean loss over every label that is not -100 (the loss of the whole set as one batch)
   * and its exp, the perplexity; classification: the mean loss per record, accuracy and macro-F1 (the mean F1 over
   * the classes that occur as a label or a prediction, as scikit-learn's {@code f1_score(average='macro')});
   * regression: the mean squared error per record.
   */
  @Override
  public Map<String, Double> evaluate() {
    Map<String, Double> out = new LinkedHashMap<>();
    if (validation == null) {
      return out;
    }
    boolean causal = ctx.cfg().data().task().equals("causalLM");
    boolean classification = ctx.cfg().data().task().equals("classification");
    int b = ctx.cfg().training().batchSize();
    double lossSum = 0;
    double weight = 0;
    List<long[]> pairs = new ArrayList<>();
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int from = 0; from < validation.size(); from += b) {
        List<TextRecord> chunk = validation.subList(from, Math.min(validation.size(), from + b));
        try (NDScope scope = new NDScope(); NDManager sub = manager.newSubManager();
            TokenBatch batch = batcher.encode(chunk, sub)) {
          scope.suppressNotUsedWarning();
          double loss = model.loss(batch).getFloat();
          if (causal) {
            NDArray labels = batch.labels();
            long n = labels.get(new NDIndex(":, 1:")).neq(-100).sum().toType(ai.djl.ndarray.types.DataType.INT64, false)
                .getLong();
            lossSum += loss * n;
            weight += n;
          } else {
            lossSum += loss * chunk.size();
            weight += chunk.size();
          }
          if (classification) {
            long[] predicted = model.logits(batch).argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false)
                .toLongArray();
            long[] actual = batch.labels().toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
            for (int i = 0; i < predicted.length; i++) {
              pairs.add(new long[] {actual[i], predicted[i]});
            }
          }
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    double loss = lossSum / weight;
    out.put("validationLoss", loss);
    if (causal) {
      out.put("validationPerplexity", Math.exp(loss));
    } else if (classification) {
      out.putAll(classificationMetrics(pairs));
    }
    return out;
  }

  /** Accuracy and macro-F1 of (actual, predicted) pairs: a pure function. */
  public static Map<String, Double> classificationMetrics(List<long[]> pairs) {
    Map<Long, long[]> perClass = new TreeMap<>(); // class -> {tp, fp, fn}
    long correct = 0;
    for (long[] p : pairs) {
      long actual = p[0];
      long predicted = p[1];
      if (actual == predicted) {
        correct++;
        perClass.computeIfAbsent(actual, k -> new long[3])[0]++;
      } else {
        perClass.computeIfAbsent(predicted, k -> new long[3])[1]++;
        perClass.computeIfAbsent(actual, k -> new long[3])[2]++;
      }
    }
    double f1Sum = 0;
    for (long[] c : perClass.values()) {
      long denominator = 2 * c[0] + c[1] + c[2];
      f1Sum += denominator == 0 ? 0 : 2.0 * c[0] / denominator;
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("validationAccuracy", pairs.isEmpty() ? Double.NaN : (double) correct / pairs.size());
    out.put("validationMacroF1", perClass.isEmpty() ? Double.NaN : f1Sum / perClass.size());
    return out;
  }

  @Override
  public Map<String, float[]> parameters() {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((name, array) -> out.put(name, array.toFloatArray()));
    return out;
  }

  @Override
  public OptimizerState optimizerState() {
    return optimizer.state();
  }

  /**
   * Parameters that train and the optimizer state, straight from libtorch memory: views of the live tensors for a
   * synchronous write, or libtorch clones (one memcpy each, no Java conversion) for a background write.
   */
  @Override
  public CheckpointState checkpointState(boolean copy) {
    List<NDArray> owned = new ArrayList<>();
    Map<String, TensorFile.Source> p = new LinkedHashMap<>();
    Map<String, TensorFile.Source> o = new LinkedHashMap<>();
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (String name : trainable) {
        p.put(name, TensorFile.Source.of(hostView(params.get(name), copy, owned)));
      }
      for (Map.Entry<String, NDArray> e : optimizer.stateTensors().entrySet()) {
        o.put(e.getKey(), TensorFile.Source.of(hostView(e.getValue(), copy, owned)));
      }
    } catch (RuntimeException e) {
      owned.forEach(NDArray::close);
      throw e;
    } finally {
      JniUtils.setGradMode(grad);
    }
    return new CheckpointState(p, o, optimizer.type(), optimizer.counters(), () -> owned.forEach(NDArray::close));
  }

  /** Little-endian float32 bytes of {@code a} in host memory: the tensor's own memory, or a copy the caller frees. */
  private static java.nio.ByteBuffer hostView(NDArray a, boolean copy, List<NDArray> owned) {
    NDArray host = a;
    if (!a.getDevice().equals(Device.cpu())) {
      host = a.toDevice(Device.cpu(), true);
    } else if (copy) {
      host = a.duplicate();
    }
    if (host != a) {
      TensorOptimizer.keep(host);
      owned.add(host);
    }
    return host.toByteBuffer(true);
  }

  @Override
  public java.util.Set<String> frozen() {
    java.util.Set<String> f = new java.util.LinkedHashSet<>(params.keySet());
    trainable.forEach(f::remove);
    return f;
  }

  private FrozenBase frozenBase;

  /**
   * The frozen part: for LoRA the base model's weight files (SHA-256 of their bytes: the adapter checkpoint is
   * meaningless on another base), plus the digest of any parameters that spec.model.trainable leaves frozen.
   * Computed once.
   */
  @Override
  public synchronized FrozenBase frozenDigest() {
    if (frozenBase != null) {
      return frozenBase;
    }
    java.util.Set<String> f = frozen();
    boolean lora = ctx.cfg().model().lora() != null;
    if (f.isEmpty() && !lora) {
      return null;
    }
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      long bytes = 0;
      int tensors = 0;
      if (lora) {
        Path dir = Locations.resolve(ctx.cfg().model().source(), ctx.env());
        List<Path> weights;
        try (var files = Files.list(dir)) {
          weights = files.filter(x -> x.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        for (Path w : weights) {
          md.update((w.getFileName() + "\0" + TensorFile.sha256(w) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
          bytes += Files.size(w);
        }
        tensors = weights.size();
      }
      if (!f.isEmpty()) {
        Map<String, java.nio.ByteBuffer> views = new LinkedHashMap<>();
        for (String n : f) {
          NDArray a = params.get(n);
          views.put(n, a.getDevice().equals(Device.cpu()) ? a.toByteBuffer(true) : a.toByteBuffer());
          bytes += 4 * a.getShape().size();
        }
        md.update(("parameters\0" + dev.annealer.trainer.ParamsDigest.sha256Bytes(views) + "\n")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        tensors += f.size();
      }
      frozenBase = new FrozenBase(lora ? "baseModel" : "parameters", java.util.HexFormat.of().formatHex(md.digest()),
          bytes, tensors);
      return frozenBase;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot hash the frozen base model: " + e.getMessage(), e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Restores trainable parameters straight from mapped checkpoint bytes into libtorch (frozen ones stay as loaded). */
  @Override
  public void loadBytes(Map<String, java.nio.ByteBuffer> values, String optimizerType,
      Map<String, java.nio.ByteBuffer> optimizerBuffers, Map<String, Long> counters) {
    java.util.Set<String> frozen = frozen();
    List<String> unknown = values.keySet().stream().filter(k -> !params.containsKey(k)).toList();
    List<String> missing = params.keySet().stream().filter(k -> !values.containsKey(k) && !frozen.contains(k)).toList();
    if (!unknown.isEmpty() || !missing.isEmpty()) {
      throw new IllegalArgumentException("the checkpoint's parameters differ from the model's"
          + (unknown.isEmpty() ? "" : ": not in the model " + first(unknown))
          + (missing.isEmpty() ? "" : ": not in the checkpoint " + first(missing)));
    }
    for (Map.Entry<String, java.nio.ByteBuffer> e : values.entrySet()) {
      NDArray p = params.get(e.getKey());
      if (p.getShape().size() != e.getValue().remaining() / 4) {
        throw new IllegalArgumentException("parameter " + e.getKey() + " has " + p.getShape().size() + " values in the model "
            + p.getShape() + ", " + e.getValue().remaining() / 4 + " in the checkpoint");
      }
    }
    // copied into each parameter's own libtorch memory (not NDArray.set(buffer): that would alias a read-only mapping,
    // written by the optimizer later, and prints libtorch's AutoNonVariableTypeMode warning)
    values.forEach((name, v) -> ParameterValues.write(params.get(name), v));
    Map<String, float[]> opt = new LinkedHashMap<>();
    optimizerBuffers.forEach((k, b) -> {
      float[] v = new float[b.remaining() / 4];
      b.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      opt.put(k, v);
    });
    optimizer.restore(new OptimizerState(optimizerType, opt, counters), params);
  }

  @Override
  public String optimizerType() {
    return optimizer.type();
  }

  @Override
  public void load(Map<String, float[]> values, OptimizerState state) {
    List<String> unknown = values.keySet().stream().filter(k -> !params.containsKey(k)).toList();
    List<String> missing = params.keySet().stream().filter(k -> !values.containsKey(k)).toList();
    if (!unknown.isEmpty() || !missing.isEmpty()) {
      throw new IllegalArgumentException("the checkpoint's parameters differ from the model's"
          + (unknown.isEmpty() ? "" : ": not in the model " + first(unknown))
          + (missing.isEmpty() ? "" : ": not in the checkpoint " + first(missing)));
    }
    for (Map.Entry<String, float[]> e : values.entrySet()) {
      NDArray p = params.get(e.getKey());
      if (p.getShape().size() != e.getValue().length) {
        throw new IllegalArgumentException("parameter " + e.getKey() + " has " + p.getShape().size() + " values in the model "
            + p.getShape() + ", " + e.getValue().length + " in the checkpoint");
      }
    }
    values.forEach((name, v) -> ParameterValues.write(params.get(name), v));
    optimizer.restore(state, params);
    if (group.worldSize() > 1) {
      broadcastParameters();
    }
  }

  private static String first(List<String> names) {
    return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " and " + (names.size() - 5) + " more";
  }

  /**
   * Writes {@code <checkpoint-dir>/final/} with {@link LanguageModel#export}: into a temporary directory first, then
   * renamed, so {@code final/} is either absent or complete.
   */
  @Override
  public String export(Path checkpointDir) throws IOException {
    Path target = checkpointDir.resolve(FINAL_DIR);
    Path tmp = checkpointDir.resolve(".tmp-" + FINAL_DIR);
    deleteTree(tmp);
    Files.createDirectories(tmp);
    boolean merged = ctx.cfg().model().lora() != null && ctx.cfg().model().lora().exportMerged();
    long t0 = System.nanoTime();
    model.export(tmp, merged);
    deleteTree(target);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    ctx.log().accept("event=model-export dir=" + FloatTrainee.quote(target.toString()) + " family=" + model.family()
        + (ctx.cfg().model().lora() != null ? " adapter=true merged=" + merged : "") + " seconds="
        + FloatTrainee.fmt((System.nanoTime() - t0) / 1e9));
    return FINAL_DIR;
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  @Override
  public void close() {
    optimizer.close();
    manager.close();
    batcher.close();
    model.close();
  }

  /** The device the trainee's tensors are on. */
  public Device device() {
    return ctx.device();
  }
}
