package dev.annealer.trainer;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.StepRunner.StepResult;
import dev.annealer.trainer.TrainerFailure.Reason;
import dev.annealer.trainer.checkpoint.CheckpointDirProbe;
import dev.annealer.trainer.checkpoint.BackgroundWriter;
import dev.annealer.trainer.checkpoint.CheckpointFencedException;
import dev.annealer.trainer.checkpoint.CheckpointReadException;
import dev.annealer.trainer.checkpoint.CheckpointStore;
import dev.annealer.trainer.checkpoint.CheckpointVolumeFullException;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.config.JobConfigReader;
import dev.annealer.trainer.data.BatchPlan;
import dev.annealer.trainer.data.DataCursor;
import dev.annealer.trainer.data.Locations;
import dev.annealer.trainer.device.DeviceChoice;
import dev.annealer.trainer.device.GpuEnvironment;
import dev.annealer.trainer.dist.C10dProcessGroup;
import dev.annealer.trainer.dist.WorkerEnv;
import dev.annealer.trainer.dist.Workers;
import dev.annealer.trainer.optim.OptimizerState;
import dev.annealer.trainer.progress.ProgressReport;
import dev.annealer.trainer.progress.ProgressServer;
import dev.annealer.trainer.progress.TrainerMetrics;
import dev.annealer.trainer.schedule.TrainingSchedule;
import dev.annealer.trainer.schedule.TrainingSchedule.Position;
import dev.annealer.trainer.trainee.CheckpointState;
import dev.annealer.trainer.trainee.Trainee;
import dev.annealer.trainer.trainee.Trainee.FrozenBase;
import dev.annealer.trainer.trainee.TraineeFactory;
import dev.annealer.trainer.trainee.Trainees;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * One trainer process: observe (spec, data, newest valid checkpoint), then train from that step to the budget,
 * checkpointing on the triggers and on SIGTERM. Returns the process exit code of the pod contract
 * (0 succeeded, 75 checkpointed after preemption, 2 invalid input, 1 crash) after writing the termination message.
 */
public final class TrainingRun {
  public static final int EXIT_PREEMPTED = 75;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int RECENT_METRICS = 20;

  /**
   * @param logEvery write a structured {@code event=step} line every N steps (1 = every step)
   * @param progressPort port of the progress channel; null = {@code $ANNEALER_PROGRESS_PORT} when a token is set,
   *     else no server
   */
  public record Options(Path jobFile, Path checkpointDir, String device, int logEvery, Integer progressPort,
      Map<String, String> env, PrintStream out, PrintStream err, boolean progressBar) {}

  private Options o;
  private final Preemption preemption;
  private final TerminationLog termination;
  private final TrainerMetrics metrics = new TrainerMetrics();
  private final AtomicReference<ProgressReport> report = new AtomicReference<>();
  private final Deque<Map<String, Object>> recent = new ArrayDeque<>();
  private ProgressReport.LastCheckpoint lastCheckpoint;
  /** sha256 of the training data file, null when it is no regular file. */
  private String dataSha256;
  private Double validationLoss;
  /** The step {@link #validationLoss} and {@link #evalMetrics} were measured after (null before any evaluation). */
  private Long validationStep;
  private long lastProgressFileNanos;

  private final TraineeFactory trainees;
  private Map<String, Double> evalMetrics = Map.of();
  /** Periodic checkpoints in the background (default; {@code ANNEALER_CHECKPOINT_BACKGROUND=false} writes inline). */
  private BackgroundWriter writer;
  private Pending pending;
  private boolean deferred;
  /** The data-parallel group this process belongs to (one worker unless WORLD_SIZE > 1): see docs/multi-gpu.md. */
  private Workers workers = Workers.single();

  public TrainingRun(Options options, Preemption preemption) {
    this(options, preemption, Trainees.standard());
  }

  /** @param trainees builds the model + data + optimizer the loop drives (tests plug in fakes) */
  public TrainingRun(Options options, Preemption preemption, TraineeFactory trainees) {
    this.o = options;
    this.preemption = preemption;
    this.termination = new TerminationLog(options.env());
    this.trainees = trainees;
  }

  /** Runs to completion, preemption or failure; never throws for bad input. */
  public int run() {
    try {
      return train();
    } catch (TrainerFailure f) {
      log("event=failed reason=" + f.reason() + " message=" + quote(f.getMessage()));
      o.err().println("error: " + f.getMessage());
      termination.write(f.terminationMessage());
      return f.exitCode();
    } catch (RuntimeException | Error | IOException e) {
      e.printStackTrace(o.err());
      termination.write("failed: reason=" + Reason.Crash + " " + e + ": this is a trainer bug or an environment problem,"
          + " see the pod log");
      return Reason.Crash.exitCode;
    }
  }

  private int train() throws IOException {
    JobConfig cfg = JobConfigReader.read(o.jobFile());
    if (o.checkpointDir() == null) {
      // local convenience: a stable per-job directory, so running the same command again resumes
      o = new Options(o.jobFile(), Path.of("annealer-checkpoints", cfg.job().name()).toAbsolutePath(), o.device(),
          o.logEvery(), o.progressPort(), o.env(), o.out(), o.err(), o.progressBar());
    }
    int attempt = parseInt(o.env().get("ANNEALER_ATTEMPT"), 0);
    log("event=start job=" + cfg.job().namespace() + "/" + cfg.job().name() + " attempt=" + attempt + " checkpointDir="
        + quote(o.checkpointDir().toString()));
    CheckpointDirProbe.probe(o.checkpointDir()); // a read-only or full volume fails now, not at the first checkpoint
    Device device = chooseDevice(o.device(), cfg.resources());
    WorkerEnv worker = workerEnv(cfg);
    if (worker.distributed()) {
      device = device.isGpu() ? Device.gpu(worker.localRank()) : device;
      workers = joinGroup(worker, device);
    }
    try (Workers joined = workers; Trainee trainee = trainees.open(new TraineeFactory.Context(cfg, device, o.env(),
        this::log, metrics.badRecords::increment, joined.group()))) {
      BatchPlan plan = trainee.plan();
      long totalSteps = cfg.training().maxSteps() != null ? cfg.training().maxSteps()
          : cfg.training().epochs() * plan.stepsPerEpoch();
      if (cfg.training().mode().equals("lrRangeTest")) {
        return new LrRangeTest(cfg, trainee, o.checkpointDir(), preemption, termination, this::log)
            .run(o.out(), (int) Math.min(Integer.MAX_VALUE, totalSteps));
      }
      TrainingSchedule schedule = TrainingSchedule.of(cfg.optimizerAndSchedule(), totalSteps, plan.stepsPerEpoch());
      if (schedule.usesValidation() && !trainee.hasValidation()) {
        throw TrainerFailure.invalid("spec.data.validation", "nothing",
            "must be set when spec.schedule.restartOnPlateau is: the plateau rule watches the validation loss");
      }
      if (schedule.usesValidation() && cfg.training().evalEverySteps() == null) {
        log("event=warning message=" + quote("spec.schedule.restartOnPlateau is set but spec.training.evalEverySteps is not: "
            + "the validation loss is only measured at cycle ends (with keepCycleSnapshots) and at the end"));
      }
      CheckpointStore store = new CheckpointStore(o.checkpointDir(), w -> log("event=warning message=" + quote(w)));
      try {
        if (workers.writer()) {
          store.acquire(attempt); // fences older attempts that may still run against the same volume
        }
      } catch (CheckpointFencedException e) {
        throw new TrainerFailure(Reason.Superseded, e.getMessage());
      }
      dataSha256 = DataCursor.sha256(Locations.resolve(cfg.data().train(), o.env()));
      long step;
      try {
        step = resume(cfg, store, schedule, trainee, plan);
      } catch (CheckpointReadException e) {
        throw new TrainerFailure(Reason.CheckpointReadError, e.getMessage() + ": check the volume (dmesg, the PVC's "
            + "storage backend); the checkpoint itself was not found corrupt", e);
      }
      String split = workers.disagreement(new String[] {"resumeStep", "scheduleFingerprint"},
          new long[] {step, Workers.hash64(schedule.fingerprint())});
      if (split != null) {
        throw new TrainerFailure(Reason.CorruptCheckpoint, "the workers would resume from different checkpoints (" + split
            + "): every worker must see the same checkpoint directory (a volume shared by all workers)");
      }
      return loop(cfg, attempt, step, totalSteps, schedule, plan, trainee, store);
    }
  }

  /** The data cursor at {@code step} under the current spec and data (written with every checkpoint). */
  private Map<String, Object> dataCursor(BatchPlan plan, long step) {
    return DataCursor.at(plan, step, plan.seed(), plan.accumulation(), plan.shuffle(), plan.records(), dataSha256);
  }

  private long resume(JobConfig cfg, CheckpointStore store, TrainingSchedule schedule, Trainee trainee, BatchPlan plan)
      throws IOException {
    boolean any = !store.checkpointsNewestFirst().isEmpty();
    Optional<CheckpointStore.Loaded> found = store.latestValid();
    if (found.isEmpty()) {
      if (any) {
        throw new TrainerFailure(Reason.CorruptCheckpoint, "no checkpoint in " + o.checkpointDir() + " verifies (see the "
            + "warnings above): move the damaged step-* directories away to start over, or restore them from a backup");
      }
      log("event=fresh message=" + quote("no checkpoint in " + o.checkpointDir() + ", starting at step 0"));
      return 0;
    }
    CheckpointStore.Loaded c = found.get();
    Map<String, Object> m = c.manifest();
    @SuppressWarnings("unchecked")
    Map<String, Object> sched = (Map<String, Object>) m.get("schedule");
    String was = String.valueOf(sched.get("fingerprint"));
    if (!was.equals(schedule.fingerprint())) {
      if (cfg.checkpoint().onScheduleChange().equals("Refuse")) {
        throw new TrainerFailure(Reason.ScheduleChanged, "checkpoint " + c.name() + " was written under schedule " + was
            + " but spec.schedule/spec.optimizer.learningRate/the step budget now give " + schedule.fingerprint()
            + ": restore the previous schedule, start in an empty checkpoint directory, or set "
            + "spec.checkpoint.onScheduleChange: Continue to continue at step " + c.step()
            + " on the new curve (nothing is rescaled)");
      }
      log("event=warning message=" + quote("schedule changed since " + c.name() + " (" + was + " -> "
          + schedule.fingerprint() + "); continuing at step " + c.step() + " on the new curve as "
          + "spec.checkpoint.onScheduleChange says"));
    }
    // the same mechanism for the data order: the batches after this step depend on seed, batch size, accumulation,
    // shuffle and the records themselves, all of which can change under a checkpoint
    @SuppressWarnings("unchecked")
    Optional<String> moved = DataCursor.mismatch((Map<String, Object>) m.get("dataCursor"), dataCursor(plan, c.step()));
    if (moved.isPresent()) {
      if (cfg.checkpoint().onScheduleChange().equals("Refuse")) {
        throw new TrainerFailure(Reason.DataOrderChanged, "checkpoint " + c.name() + " was written reading the data in "
            + "another order than spec.training and spec.data give now (" + moved.get() + "): a resume would not "
            + "continue the same run. Restore spec.training (seed, batchSize, gradientAccumulation) and the data "
            + "file, start in an empty checkpoint directory, or set spec.checkpoint.onScheduleChange: Continue to "
            + "continue at step " + c.step() + " in the new order");
      }
      log("event=warning message=" + quote("data order changed since " + c.name() + " (" + moved.get()
          + "); continuing at step " + c.step() + " in the new order as spec.checkpoint.onScheduleChange says"));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> opt = (Map<String, Object>) m.get("optimizer");
    String type = String.valueOf(opt.get("type"));
    if (!type.equals(trainee.optimizerType())) {
      throw new TrainerFailure(Reason.InvalidSpec, "spec.optimizer.type is " + trainee.optimizerType() + " but checkpoint " + c.name()
          + " holds " + type + " state: restore spec.optimizer.type: " + type + " or start in an empty checkpoint directory");
    }
    Map<String, Long> counters = new LinkedHashMap<>();
    @SuppressWarnings("unchecked")
    Map<String, Object> rawCounters = (Map<String, Object>) opt.getOrDefault("counters", Map.of());
    rawCounters.forEach((k, v) -> counters.put(k, ((Number) v).longValue()));
    @SuppressWarnings("unchecked")
    Map<String, Object> frozen = (Map<String, Object>) m.get("frozen");
    if (frozen != null) {
      Trainee.FrozenBase now = trainee.frozenDigest();
      if (now == null || !now.sha256().equals(frozen.get("sha256"))) {
        throw new TrainerFailure(Reason.InvalidSpec, "checkpoint " + c.name() + " holds only the trainable parameters of "
            + "a model whose frozen " + frozen.get("kind") + " has digest " + frozen.get("sha256") + ", but the frozen part "
            + "of spec.model now has " + (now == null ? "nothing frozen" : "digest " + now.sha256()) + ": restore the "
            + "previous spec.model.source (and spec.model.trainable) or start in an empty checkpoint directory");
      }
    }
    try {
      trainee.loadBytes(c.paramBytes(), type, c.optimizerBytes(), counters);
    } catch (IllegalArgumentException e) {
      throw new TrainerFailure(Reason.InvalidSpec, "checkpoint " + c.name() + " does not fit spec.model: " + e.getMessage()
          + "; restore the previous spec.model or start in an empty checkpoint directory");
    }
    if (!was.equals(schedule.fingerprint())) {
      // a different schedule: its plateau bookkeeping starts fresh
    } else {
      @SuppressWarnings("unchecked")
      Map<String, Object> plateau = (Map<String, Object>) sched.getOrDefault("plateau", Map.of());
      schedule.restorePlateauState(plateau);
    }
    Object val = m.get("validationLoss");
    validationLoss = val instanceof Number n ? n.doubleValue() : null;
    Object valStep = m.get("validationStep");
    validationStep = valStep instanceof Number n ? n.longValue() : null;
    if (m.get("validationMetrics") instanceof Map<?, ?> vm) {
      Map<String, Double> restored = new LinkedHashMap<>();
      vm.forEach((k, v) -> restored.put(String.valueOf(k), v instanceof Number n ? n.doubleValue() : Double.NaN));
      evalMetrics = restored;
    }
    lastCheckpoint = new ProgressReport.LastCheckpoint(c.step(), String.valueOf(m.get("createdAt")),
        "sha256:" + m.get("paramsSha256"), c.name());
    log("event=resume checkpoint=" + c.name() + " step=" + c.step() + " paramsSha256=" + m.get("paramsSha256"));
    return c.step();
  }

  private int loop(JobConfig cfg, int attempt, long step, long totalSteps, TrainingSchedule schedule, BatchPlan plan,
      Trainee trainee, CheckpointStore store) throws IOException {
    boolean validating = trainee.hasValidation();
    JobConfig.CheckpointSpec ck = cfg.checkpoint();
    long examplesPerStep = (long) plan.batchSize() * cfg.training().gradientAccumulation();
    long firstStep = step;
    long startNanos = System.nanoTime();
    long lastCheckpointNanos = startNanos;
    double lastLoss = Double.NaN;
    long lastEvalStep = -1;
    ProgressServer server = startServer(attempt);
    // several workers write inline: the other ranks wait on a barrier until rank 0's checkpoint is complete
    writer = workers.worldSize() > 1
        || "false".equalsIgnoreCase(o.env().getOrDefault("ANNEALER_CHECKPOINT_BACKGROUND", "true")) ? null
        : new BackgroundWriter();
    ProgressBar bar = o.progressBar() ? new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps)
        .setStyle(ProgressBarStyle.ASCII).continuousUpdate().setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(o.err()))
        .build() : null;
    try {
      if (bar != null) {
        bar.stepTo(step);
      }
      publish(cfg, attempt, step, totalSteps, schedule, plan, lastLoss, 0, ProgressReport.RUNNING, true);
      while (step < totalSteps && !workers.any(preemption.requested())) {
        Position pos = schedule.position(step);
        double lr = pos.learningRate();
        StepResult r = trainee.step(step, lr);
        checkStep(r, step, lr, lastCheckpoint);
        lastLoss = r.loss();
        step++;
        metrics.steps.increment();
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        double stepsPerSecond = (step - firstStep) / Math.max(elapsed, 1e-9);
        boolean evalNow = validating && cfg.training().evalEverySteps() != null
            && step % cfg.training().evalEverySteps() == 0;
        boolean cycleEnd = pos.phase().equals("ANNEALING") && schedule.position(step).cycle() != pos.cycle();
        boolean snapshot = ck.keepCycleSnapshots() && cycleEnd;
        if (evalNow || (snapshot && validating)) {
          evaluate(trainee, step);
          lastEvalStep = step;
          schedule.observeValidation(step, validationLoss);
        }
        if (step % o.logEvery() == 0 || step == totalSteps) {
          log("event=step step=" + step + " epoch=" + fmt((double) step / plan.stepsPerEpoch()) + " cycle=" + pos.cycle()
              + " cycleStep=" + pos.cycleStep() + " cycleLength=" + pos.cycleLength() + " lr=" + lr + " loss=" + lastLoss
              + (validationLoss != null ? " validationLoss=" + validationLoss : "") + extraMetrics() + " examplesPerSecond="
              + fmt(stepsPerSecond * examplesPerStep) + " etaSeconds=" + fmt((totalSteps - step) / stepsPerSecond));
          remember(step, lr, lastLoss);
        }
        if (bar != null) {
          bar.stepTo(step);
          bar.setExtraMessage(String.format("cycle %d lr %.3g loss %.4g", pos.cycle(), lr, lastLoss));
        }
        publish(cfg, attempt, step, totalSteps, schedule, plan, lastLoss, stepsPerSecond * examplesPerStep,
            ProgressReport.RUNNING, false);
        collect(cfg, attempt, totalSteps, schedule, plan, lastLoss, false);
        boolean dueByClock = ck.everySeconds() != null
            && workers.any(System.nanoTime() - lastCheckpointNanos >= ck.everySeconds() * 1_000_000_000L);
        boolean due = deferred || (ck.everySteps() != null && step % ck.everySteps() == 0) || dueByClock;
        if ((due || snapshot) && step < totalSteps) {
          if (writer != null && writer.busy() && !snapshot) {
            deferred = true; // at most one write in flight: this one starts at the first step boundary after it
          } else {
            if (writer != null) {
              collect(cfg, attempt, totalSteps, schedule, plan, lastLoss, true); // a cycle snapshot waits its turn
            }
            deferred = false;
            checkpoint(cfg, attempt, step, totalSteps, schedule, plan, trainee, store, snapshot, pos.cycle(), lastLoss,
                writer != null);
            lastCheckpointNanos = System.nanoTime();
          }
        }
      }
      // a background write in flight finishes before the final or the SIGTERM checkpoint (its rename is atomic: it
      // either completes or leaves a temp directory the next writer deletes)
      collect(cfg, attempt, totalSteps, schedule, plan, lastLoss, true);
      if (step < totalSteps) {
        // preempted: make the current step durable, then tell the operator this was not a failure
        if (lastCheckpoint == null || lastCheckpoint.step() != step) {
          checkpoint(cfg, attempt, step, totalSteps, schedule, plan, trainee, store, false, -1, lastLoss, false);
        }
        String msg = "checkpointed after preemption: step=" + step + " checkpoint=" + lastCheckpoint.name();
        log("event=preempted signal=" + preemption.signal() + " step=" + step + " checkpoint=" + lastCheckpoint.name()
            + " secondsSinceSignal=" + fmt(preemption.secondsSinceSignal())
            + (o.env().get("ANNEALER_GRACE_SECONDS") != null ? " graceSeconds=" + o.env().get("ANNEALER_GRACE_SECONDS") : ""));
        termination.write(msg);
        publish(cfg, attempt, step, totalSteps, schedule, plan, lastLoss, 0, ProgressReport.DONE, true);
        return EXIT_PREEMPTED;
      }
      if (validating && lastEvalStep != step) {
        // evaluation at the end of training is part of the contract even without evalEverySteps
        evaluate(trainee, step);
      }
      if (lastCheckpoint == null || lastCheckpoint.step() != step) {
        Position last = schedule.position(totalSteps - 1);
        boolean lastCycleEnd = ck.keepCycleSnapshots() && last.phase().equals("ANNEALING")
            && schedule.position(totalSteps).cycle() != last.cycle();
        checkpoint(cfg, attempt, step, totalSteps, schedule, plan, trainee, store, lastCycleEnd, last.cycle(), lastLoss,
            false);
      }
      String digest = ParamsDigest.sha256(trainee.parameters());
      String finalModel = workers.writer() ? trainee.export(o.checkpointDir()) : null;
      publish(cfg, attempt, step, totalSteps, schedule, plan, lastLoss, 0, ProgressReport.DONE, true);
      termination.write("succeeded: step=" + step + " checkpoint=" + lastCheckpoint.name() + " paramsSha256=" + digest
          + " loss=" + lastLoss + (finalModel != null ? " finalModel=" + finalModel : ""));
      log("event=done step=" + step + " checkpoint=" + lastCheckpoint.name() + " loss=" + lastLoss
          + (validationLoss != null ? " validationLoss=" + validationLoss : ""));
      if (bar != null) {
        bar.close();
        bar = null;
      }
      if (workers.traffic() != null) {
        log("event=collectives rank=" + workers.rank() + " worldSize=" + workers.worldSize() + " steps=" + (step - firstStep)
            + " " + workers.traffic());
      }
      o.out().println("done step=" + step + " paramsSha256=" + digest);
      o.out().flush();
      return 0;
    } finally {
      if (writer != null) {
        writer.await(); // never leave a write running behind an exception
        writer.close();
      }
      if (bar != null) {
        bar.close();
      }
      if (server != null) {
        server.close();
      }
    }
  }

  /**
   * Collects a finished background write (or waits for the one in flight when {@code wait}): updates the last
   * checkpoint, or fails the run as a synchronous write would.
   */
  private void collect(JobConfig cfg, int attempt, long totalSteps, TrainingSchedule schedule, BatchPlan plan,
      double loss, boolean wait) {
    if (writer == null) {
      return;
    }
    BackgroundWriter.Outcome out = wait ? writer.await() : writer.poll();
    if (out == null) {
      return;
    }
    Pending p = pending;
    pending = null;
    if (out.error() != null) {
      throw writeFailure(out.error(), CheckpointStore.nameOf(out.step()), o.checkpointDir());
    }
    completed(p.step(), p.createdAt(), out.written(), p.cycleSnapshot(), p.validationLoss(), true);
    publish(cfg, attempt, p.step(), totalSteps, schedule, plan, loss, 0, ProgressReport.RUNNING, true);
  }

  /** What a background write was started for. */
  private record Pending(long step, String createdAt, boolean cycleSnapshot, Double validationLoss) {}

  /** Measures the validation metrics after step {@code step} and logs them (the {@code event=eval} line). */
  private void evaluate(Trainee trainee, long step) {
    Map<String, Double> m = trainee.evaluate();
    validationLoss = m.get("validationLoss");
    validationStep = step;
    Map<String, Double> extra = new LinkedHashMap<>(m);
    extra.remove("validationLoss");
    evalMetrics = extra;
    log("event=eval step=" + step + " validationLoss=" + validationLoss + extraMetrics());
  }

  /** The task's metrics beyond the validation loss, as {@code " key=value"} pairs (empty for the float path). */
  private String extraMetrics() {
    StringBuilder b = new StringBuilder();
    evalMetrics.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
    return b.toString();
  }

  private void checkpoint(JobConfig cfg, int attempt, long step, long totalSteps, TrainingSchedule schedule, BatchPlan plan,
      Trainee trainee, CheckpointStore store, boolean cycleSnapshot, long cycle, double loss, boolean async)
      throws IOException {
    if (workers.worldSize() > 1) {
      // rank 0 writes what every rank holds: same step, schedule, data cursor and (bit-identical) parameters
      String digest = ParamsDigest.sha256(trainee.parameters());
      String split = workers.disagreement(new String[] {"step", "scheduleFingerprint", "dataEpoch", "dataOffset",
          "paramsSha256"}, new long[] {step, Workers.hash64(schedule.fingerprint()), plan.epochOf(step),
          plan.offsetOf(step), Workers.hash64(digest)});
      if (split != null) {
        throw new TrainerFailure(Reason.Crash, "the workers disagree before checkpoint " + CheckpointStore.nameOf(step)
            + " (" + split + "): nothing was written; this is a trainer bug, the previous checkpoint is intact");
      }
      if (!workers.writer()) {
        lastCheckpoint = new ProgressReport.LastCheckpoint(step, Instant.now().toString(), "sha256:" + digest,
            CheckpointStore.nameOf(step));
        workers.group().barrier(); // rank 0's write is complete when the barrier opens
        return;
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("formatVersion", 1);
    m.put("job", Map.of("name", cfg.job().name(), "namespace", cfg.job().namespace(), "uid", cfg.job().uid(),
        "attempt", attempt));
    m.put("step", step);
    m.put("epoch", (double) step / plan.stepsPerEpoch());
    m.put("dataCursor", dataCursor(plan, step));
    Position pos = schedule.position(step);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("fingerprint", schedule.fingerprint());
    s.put("position", Map.of("step", pos.step(), "cycle", pos.cycle(), "cycleStep", pos.cycleStep(),
        "cycleLength", pos.cycleLength(), "phase", pos.phase(), "learningRate", pos.learningRate()));
    s.put("plateau", schedule.plateauState());
    s.put("definition", schedule.manifest());
    m.put("schedule", s);
    m.put("rng", Map.of("seed", cfg.training().seed(), "dataOrder", "permutation(seed, epoch): SplittableRandom(mix(seed, epoch))",
        "dropout", "none"));
    if (cycleSnapshot) {
      m.put("cycleSnapshot", true);
      m.put("cycle", cycle >= 0 ? cycle : pos.cycle());
    }
    m.put("validationLoss", validationLoss);
    m.put("validationStep", validationStep);
    Map<String, Object> vm = new LinkedHashMap<>();
    evalMetrics.forEach((k, v) -> vm.put(k, Double.isFinite(v) ? v : null));
    m.put("validationMetrics", vm);
    m.put("metrics", Map.of("recent", new ArrayList<>(recent), "loss", Double.isFinite(loss) ? loss : "NaN"));
    String now = Instant.now().toString();
    m.put("createdAt", now);
    FrozenBase frozen = trainee.frozenDigest();
    if (frozen != null) {
      m.put("frozen", Map.of("kind", frozen.kind(), "sha256", frozen.sha256(), "bytes", frozen.bytes(), "tensors",
          frozen.tensors(), "note", "not in params.bin: the trainer verifies it on resume"));
    }
    CheckpointStore.Retention retention = new CheckpointStore.Retention(cfg.checkpoint().keepLast(),
        cfg.checkpoint().keepCycleSnapshots());
    CheckpointState state = trainee.checkpointState(async);
    m.put("optimizer", Map.of("type", state.optimizerType(), "counters", state.counters(), "file", CheckpointStore.OPTIMIZER));
    if (async) {
      pending = new Pending(step, now, cycleSnapshot, validationLoss);
      @SuppressWarnings("unchecked")
      Map<String, Object> copy = JSON.convertValue(m, Map.class); // nothing the loop changes later reaches the writer
      writer.submit(step, () -> store.write(step, copy, state.params(), state.optimizer(), retention), state::close);
      return;
    }
    publish(cfg, attempt, step, totalSteps, schedule, plan, loss, 0, ProgressReport.CHECKPOINTING, false);
    CheckpointStore.Written written;
    try {
      written = store.write(step, m, state.params(), state.optimizer(), retention);
    } catch (IOException e) {
      throw writeFailure(e, CheckpointStore.nameOf(step), o.checkpointDir());
    } finally {
      state.close();
    }
    completed(step, now, written, cycleSnapshot, validationLoss, false);
    if (workers.worldSize() > 1) {
      workers.group().barrier(); // the other ranks wait for this write
    }
    publish(cfg, attempt, step, totalSteps, schedule, plan, loss, 0, ProgressReport.RUNNING, true);
  }

  private void completed(long step, String createdAt, CheckpointStore.Written written, boolean cycleSnapshot,
      Double valLoss, boolean background) {
    metrics.checkpointWrite.record(java.time.Duration.ofNanos((long) (written.seconds() * 1e9)));
    metrics.checkpoints.increment();
    lastCheckpoint = new ProgressReport.LastCheckpoint(step, createdAt, "sha256:" + written.paramsSha256(), written.name(),
        written.bytes(), written.seconds());
    log("event=checkpoint name=" + written.name() + " step=" + step + " seconds=" + fmt(written.seconds()) + " bytes="
        + written.bytes() + " bytesPerSecond=" + Math.round(lastCheckpoint.writeBytesPerSecond())
        + (background ? " background=true" : "")
        + (cycleSnapshot ? " cycleSnapshot=true validationLoss=" + valLoss : "")
        + (written.pruned().isEmpty() ? "" : " pruned=" + String.join(",", written.pruned())));
  }

  /** The pod-contract failure for a checkpoint write that failed: full volume, fenced writer, or unwritable directory. */
  static TrainerFailure writeFailure(IOException e, String name, Path dir) {
    if (e instanceof CheckpointVolumeFullException full) {
      return new TrainerFailure(Reason.CheckpointVolumeFull, full.getMessage() + ": make the checkpoint volume at least "
          + full.bytesNeeded() + " bytes larger than what the kept checkpoints use (spec.checkpoint.storage.size), or lower "
          + "spec.checkpoint.keepLast; the newest complete checkpoint is kept and the next attempt resumes from it", e);
    }
    if (e instanceof CheckpointFencedException) {
      return new TrainerFailure(Reason.Superseded, e.getMessage(), e);
    }
    return new TrainerFailure(Reason.CheckpointDirNotWritable, "cannot write checkpoint " + name + " in " + dir + " (" + e
        + "): free space on the volume or mount it read-write; the newest complete checkpoint is kept and the next "
        + "attempt resumes from it", e);
  }

  private void publish(JobConfig cfg, int attempt, long step, long totalSteps, TrainingSchedule schedule, BatchPlan plan,
      double loss, double examplesPerSecond, String phase, boolean forceFile) {
    // the last trained step (step - 1), like the event=step log line and the operator's status at the end: every
    // field of a report describes the same step
    Position pos = schedule.position(Math.max(0, Math.min(step, totalSteps) - 1));
    Double eta = examplesPerSecond > 0
        ? (totalSteps - step) * (double) plan.batchSize() * cfg.training().gradientAccumulation() / examplesPerSecond : null;
    ProgressReport r = new ProgressReport(cfg.job().uid(), attempt, step, (double) step / plan.stepsPerEpoch(), pos.cycle(),
        pos.cycleStep(), pos.cycleLength(), pos.learningRate(), Double.isFinite(loss) ? loss : null, validationLoss,
        examplesPerSecond, eta, lastCheckpoint, phase, Instant.now().toString(), evalMetrics, validationStep);
    report.set(r);
    metrics.update(r);
    long now = System.nanoTime();
    if (forceFile || now - lastProgressFileNanos > 1_000_000_000L) {
      lastProgressFileNanos = now;
      writeProgressFile(r);
    }
  }

  private void writeProgressFile(ProgressReport r) {
    if (!workers.writer()) {
      return;
    }
    try {
      Files.createDirectories(o.checkpointDir());
      Path tmp = o.checkpointDir().resolve(".progress.json.tmp");
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(r.toMap()));
      Files.move(tmp, o.checkpointDir().resolve("progress.json"), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      log("event=warning message=" + quote("cannot write progress.json: " + e.getMessage()));
    }
  }

  private ProgressServer startServer(int attempt) {
    String token = o.env().get("ANNEALER_PROGRESS_TOKEN");
    Integer port = o.progressPort();
    if (port == null && token != null && !token.isEmpty()) {
      port = parseInt(o.env().get("ANNEALER_PROGRESS_PORT"), 8080);
    }
    if (port == null) {
      return null;
    }
    String host = o.env().getOrDefault("POD_IP", "0.0.0.0");
    try {
      ProgressServer s = ProgressServer.start(host, port, token, report::get, metrics.registry);
      log("event=progress-channel address=" + host + ":" + s.port() + " auth=" + (token == null || token.isEmpty()
          ? "none-configured(/v1/progress answers 401)" : "bearer"));
      return s;
    } catch (IOException e) {
      // the channel is for observation: training goes on without it
      log("event=warning message=" + quote("progress channel not started on " + host + ":" + port + ": " + e.getMessage()));
      return null;
    }
  }

  private void remember(long step, double lr, double loss) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    m.put("learningRate", lr);
    m.put("loss", loss);
    recent.addLast(m);
    while (recent.size() > RECENT_METRICS) {
      recent.removeFirst();
    }
  }

  /** This process's place in the group (torchrun's environment), checked against the job. */
  private WorkerEnv workerEnv(JobConfig cfg) {
    WorkerEnv w;
    try {
      w = WorkerEnv.of(o.env());
    } catch (IllegalArgumentException e) {
      throw new TrainerFailure(Reason.InvalidSpec, e.getMessage());
    }
    if (!w.distributed()) {
      return w;
    }
    if (cfg.training().batchSize() % w.worldSize() != 0) {
      throw TrainerFailure.invalid("spec.training.batchSize", cfg.training().batchSize(), "must be a multiple of the "
          + "number of workers (" + w.worldSize() + "): it is the global batch, each worker reads batchSize/workers of "
          + "its records; change spec.training.batchSize or the number of workers");
    }
    if (!"huggingface".equals(cfg.model().format())) {
      throw TrainerFailure.invalid("spec.model.format", cfg.model().format(), "trains data-parallel only as huggingface "
          + "(the tensor training path); run builtin/torchscript/djl models with one worker");
    }
    if (!cfg.training().mode().equals("train")) {
      throw TrainerFailure.invalid("spec.training.mode", cfg.training().mode(), "runs on one worker only: set the number "
          + "of workers to 1 for an LR range test");
    }
    return w;
  }

  private Workers joinGroup(WorkerEnv w, Device device) {
    String backend = device.isGpu() ? "nccl" : "gloo";
    int timeout = parseInt(o.env().get("ANNEALER_DIST_TIMEOUT_SECONDS"), 600);
    long t0 = System.nanoTime();
    C10dProcessGroup g;
    try {
      g = C10dProcessGroup.join(w, backend, timeout, o.env().get("GLOO_SOCKET_IFNAME"), o.env());
    } catch (IllegalStateException e) {
      throw new TrainerFailure(Reason.Crash, "worker " + w.rank() + " of " + w.worldSize() + " could not join the "
          + backend + " group at " + w.masterAddr() + ":" + w.masterPort() + ": " + e.getMessage(), e);
    }
    log("event=workers rank=" + w.rank() + " worldSize=" + w.worldSize() + " localRank=" + w.localRank() + " backend="
        + backend + " master=" + w.masterAddr() + ":" + w.masterPort() + " seconds=" + fmt((System.nanoTime() - t0) / 1e9));
    return new Workers(g, device);
  }

  private Device chooseDevice(String wanted, JobConfig.Resources resources) {
    if (!"gpu".equals(wanted)) {
      DeviceChoice.Decision d = DeviceChoice.decide(wanted, resources.gpus(), resources.allowCpuFallback(), null);
      log("event=device device=cpu" + (resources.gpus() > 0 ? " message=" + quote("spec.resources.gpus="
          + resources.gpus() + " but --device cpu: training on CPU") : ""));
      return d.device();
    }
    GpuEnvironment seen = GpuEnvironment.observe(o.env());
    log("event=gpu-environment message=" + quote(seen.describe()));
    DeviceChoice.Decision d = DeviceChoice.decide(wanted, resources.gpus(), resources.allowCpuFallback(), seen);
    if (d.warning() != null) {
      log("event=warning message=" + quote(d.warning()));
    }
    log("event=device device=" + d.device() + " gpus=" + seen.gpusVisibleToEngine());
    return d.device();
  }

  void log(String line) {
    o.out().println(Instant.now() + " " + line);
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  static String fmt(double d) {
    return Double.isFinite(d) ? String.format(java.util.Locale.ROOT, "%.4g", d) : "NaN";
  }

  private static int parseInt(String s, int dflt) {
    try {
      return s == null || s.isBlank() ? dflt : Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  /**
   * Fails the run when a step saw a non-finite loss or gradient norm; the trainee has not applied that update, so the
   * weights and the last checkpoint are still those of the step before.
   */
  static void checkStep(StepResult r, long step, double lr, ProgressReport.LastCheckpoint lastCheckpoint) {
    String intact = lastCheckpoint == null ? "no checkpoint was written"
        : "checkpoint " + lastCheckpoint.name() + " is intact";
    if (!Double.isFinite(r.loss())) {
      throw new TrainerFailure(Reason.NonFiniteLoss, "loss became " + r.loss() + " at step " + step + " (learning rate "
          + lr + "): lower spec.optimizer.learningRate, set spec.optimizer.gradientClipNorm, or check the data; " + intact);
    }
    if (!Double.isFinite(r.gradNorm())) {
      throw new TrainerFailure(Reason.NonFiniteGradient, "gradient norm became " + r.gradNorm() + " at step " + step
          + " with a finite loss " + r.loss() + " (learning rate " + lr + "); the update was not applied. "
          + "spec.optimizer.gradientClipNorm does not help (a NaN cannot be scaled): lower "
          + "spec.optimizer.learningRate or check the data and model for values that overflow; " + intact);
    }
  }
}
