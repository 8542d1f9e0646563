package dev.annealer.trainer;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.StepRunner.StepResult;
import dev.annealer.trainer.TrainerFailure.Reason;
import dev.annealer.trainer.checkpoint.CheckpointDirProbe;
import dev.annealer.trainer.checkpoint.CheckpointStore;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.config.JobConfigReader;
import dev.annealer.trainer.data.BatchPlan;
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
import dev.annealer.trainer.trainee.Trainee;
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
  private Double validationLoss;
  private long lastProgressFileNanos;

  private final TraineeFactory trainees;
  private Map<String, Double> evalMetrics = Map.of();
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
      long step = resume(cfg, store, schedule, trainee);
      String split = workers.disagreement(new String[] {"resumeStep", "scheduleFingerprint"},
          new long[] {step, Workers.hash64(schedule.fingerprint())});
      if (split != null) {
        throw new TrainerFailure(Reason.CorruptCheckpoint, "the workers would resume from different checkpoints (" + split
            + "): every worker must see the same checkpoint directory (a volume shared by all workers)");
      }
      return loop(cfg, attempt, step, totalSteps, schedule, plan, trainee, store);
    }
  }

  private long resume(JobConfig cfg, CheckpointStore store, TrainingSchedule schedule, Trainee trainee) throws IOException {
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
    try {
      trainee.load(c.params(), new OptimizerState(type, c.optimizerBuffers(), counters));
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
        if (!Double.isFinite(r.loss())) {
          throw new TrainerFailure(Reason.NonFiniteLoss, "loss became " + r.loss() + " at step " + step + " (learning rate "
              + lr + "): lower spec.optimizer.learningRate, set spec.optimizer.gradientClipNorm, or check the data; "
              + (lastCheckpoint == null ? "no checkpoint was written" : "checkpoint " + lastCheckpoint.name() + " is intact"));
        }
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
        boolean dueByClock = ck.everySeconds() != null
            && workers.any(System.nanoTime() - lastCheckpointNanos >= ck.everySeconds() * 1_000_000_000L);
        boolean due = (ck.everySteps() != null && step % ck.everySteps() == 0) || dueByClock;
        if ((due || snapshot) && step < totalSteps) {
          checkpoint(cfg, attempt, step, totalSteps, schedule, plan, trainee, store, snapshot, pos.cycle(), lastLoss);
          lastCheckpointNanos = System.nanoTime();
        }
      }
      if (step < totalSteps) {
        // preempted: make the current step durable, then tell the operator this was not a failure
        if (lastCheckpoint == null || lastCheckpoint.step() != step) {
          checkpoint(cfg, attempt, step, totalSteps, schedule, plan, trainee, store, false, -1, lastLoss);
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
        checkpoint(cfg, attempt, step, totalSteps, schedule, plan, trainee, store, lastCycleEnd, last.cycle(), lastLoss);
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
      if (bar != null) {
        bar.close();
      }
      if (server != null) {
        server.close();
      }
    }
  }

  /** Measures the validation metrics after step {@code step} and logs them (the {@code event=eval} line). */
  private void evaluate(Trainee trainee, long step) {
    Map<String, Double> m = trainee.evaluate();
    validationLoss = m.get("validationLoss");
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
      Trainee trainee, CheckpointStore store, boolean cycleSnapshot, long cycle, double loss) throws IOException {
    publish(cfg, attempt, step, totalSteps, schedule, plan, loss, 0, ProgressReport.CHECKPOINTING, false);
    long t0 = System.nanoTime();
    Map<String, float[]> params = trainee.parameters();
    OptimizerState state = trainee.optimizerState();
    if (workers.worldSize() > 1) {
      // rank 0 writes what every rank holds: same step, schedule, data cursor and (bit-identical) parameters
      String digest = ParamsDigest.sha256(params);
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
    Map<String, Object> cursor = new LinkedHashMap<>();
    cursor.put("epoch", plan.epochOf(step));
    cursor.put("offset", plan.offsetOf(step));
    cursor.put("stepsPerEpoch", plan.stepsPerEpoch());
    cursor.put("batchSize", plan.batchSize());
    cursor.put("gradientAccumulation", cfg.training().gradientAccumulation());
    cursor.put("shuffle", cfg.data().shuffle());
    m.put("dataCursor", cursor);
    Position pos = schedule.position(step);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("fingerprint", schedule.fingerprint());
    s.put("position", Map.of("step", pos.step(), "cycle", pos.cycle(), "cycleStep", pos.cycleStep(),
        "cycleLength", pos.cycleLength(), "phase", pos.phase(), "learningRate", pos.learningRate()));
    s.put("plateau", schedule.plateauState());
    s.put("definition", schedule.manifest());
    m.put("schedule", s);
    m.put("optimizer", Map.of("type", state.type(), "counters", state.counters(), "file", CheckpointStore.OPTIMIZER));
    m.put("rng", Map.of("seed", cfg.training().seed(), "dataOrder", "permutation(seed, epoch): SplittableRandom(mix(seed, epoch))",
        "dropout", "none"));
    if (cycleSnapshot) {
      m.put("cycleSnapshot", true);
      m.put("cycle", cycle >= 0 ? cycle : pos.cycle());
    }
    m.put("validationLoss", validationLoss);
    m.put("metrics", Map.of("recent", new ArrayList<>(recent), "loss", Double.isFinite(loss) ? loss : "NaN"));
    String now = Instant.now().toString();
    m.put("createdAt", now);
    CheckpointStore.Written written;
    try {
      written = store.write(step, m, params, state.buffers());
    } catch (IOException e) {
      throw new TrainerFailure(Reason.CheckpointDirNotWritable, "cannot write checkpoint " + CheckpointStore.nameOf(step)
          + " in " + o.checkpointDir() + " (" + e + "): free space on the volume or mount it read-write; the newest "
          + "complete checkpoint is kept and the next attempt resumes from it", e);
    }
    String name = written.name();
    double seconds = (System.nanoTime() - t0) / 1e9;
    metrics.checkpointWrite.record(java.time.Duration.ofNanos(System.nanoTime() - t0));
    metrics.checkpoints.increment();
    lastCheckpoint = new ProgressReport.LastCheckpoint(step, now, "sha256:" + written.paramsSha256(), name);
    List<String> deleted = store.prune(cfg.checkpoint().keepLast(), cfg.checkpoint().keepCycleSnapshots(), name);
    if (workers.worldSize() > 1) {
      workers.group().barrier();
    }
    log("event=checkpoint name=" + name + " step=" + step + " seconds=" + fmt(seconds)
        + (cycleSnapshot ? " cycleSnapshot=true validationLoss=" + validationLoss : "")
        + (deleted.isEmpty() ? "" : " pruned=" + String.join(",", deleted)));
    publish(cfg, attempt, step, totalSteps, schedule, plan, loss, 0, ProgressReport.RUNNING, true);
  }

  private void publish(JobConfig cfg, int attempt, long step, long totalSteps, TrainingSchedule schedule, BatchPlan plan,
      double loss, double examplesPerSecond, String phase, boolean forceFile) {
    Position pos = schedule.position(Math.min(step, totalSteps - 1));
    Double eta = examplesPerSecond > 0
        ? (totalSteps - step) * (double) plan.batchSize() * cfg.training().gradientAccumulation() / examplesPerSecond : null;
    ProgressReport r = new ProgressReport(cfg.job().uid(), attempt, step, (double) step / plan.stepsPerEpoch(), pos.cycle(),
        pos.cycleStep(), pos.cycleLength(), pos.learningRate(), Double.isFinite(loss) ? loss : null, validationLoss,
        examplesPerSecond, eta, lastCheckpoint, phase, Instant.now().toString(), evalMetrics);
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
}
