package dev.annealer.trainer.trainee;

import ai.djl.Device;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.dist.ProcessGroup;
import dev.annealer.trainer.dist.SingleProcess;
import java.util.Map;
import java.util.function.Consumer;

/** Builds the {@link Trainee} of a job (observe: read the data and the model; nothing is trained yet). */
@FunctionalInterface
public interface TraineeFactory {

  /**
   * @param log writes one structured log line (without timestamp)
   * @param onBadRecord called for every record skipped under {@code onBadRecord: skip}
   * @param group the data-parallel workers this trainee trains with ({@link SingleProcess} for one)
   */
  record Context(JobConfig cfg, Device device, Map<String, String> env, Consumer<String> log, Runnable onBadRecord,
      ProcessGroup group) {

    /** One worker. */
    public Context(JobConfig cfg, Device device, Map<String, String> env, Consumer<String> log, Runnable onBadRecord) {
      this(cfg, device, env, log, onBadRecord, SingleProcess.INSTANCE);
    }
  }

  Trainee open(Context context);
}
