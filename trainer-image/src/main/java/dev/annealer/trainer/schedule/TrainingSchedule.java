package dev.annealer.trainer.schedule;

import dev.annealer.schedule.Plateau;
import dev.annealer.schedule.PlateauState;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleConfig;
import dev.annealer.schedule.SchedulePosition;
import dev.annealer.schedule.ScheduleValidationException;
import dev.annealer.schedule.TrainingContext;
import dev.annealer.trainer.TrainerFailure;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The trainer's view of the job's learning-rate schedule, backed by the schedule engine ({@link Schedule}): LR per
 * step, position in the SGDR cycle, fingerprint, and the restart-on-plateau state (the only mutable part, saved in
 * checkpoints). {@code lr(step)} is pure in (config, plateau state, step), which is what makes a resume exact.
 */
public final class TrainingSchedule {
  /** Where a step sits on the curve. */
  public record Position(long step, long cycle, long cycleStep, long cycleLength, String phase, double learningRate) {}

  private final Schedule schedule;
  private PlateauState plateau = PlateauState.initial();

  private TrainingSchedule(Schedule schedule) {
    this.schedule = schedule;
  }

  /**
   * @param optimizerAndSchedule {@code {optimizer: {learningRate, ...}, schedule: {...}}} as in the FineTuneJob
   * @param totalSteps the training budget in optimizer steps (defaults such as a Cosine horizon = rest of training)
   * @param stepsPerEpoch optimizer steps per epoch, for periods given in epochs
   */
  public static TrainingSchedule of(Map<String, Object> optimizerAndSchedule, long totalSteps, double stepsPerEpoch) {
    try {
      return new TrainingSchedule(Schedule.of(ScheduleConfig.fromManifest(optimizerAndSchedule,
          new TrainingContext(totalSteps, stepsPerEpoch))));
    } catch (ScheduleValidationException e) {
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, e.getMessage());
    }
  }

  /** The learning rate of step {@code step} (0 = first step), including early restarts. */
  public double lr(long step) {
    return schedule.lr(step, plateau);
  }

  public Position position(long step) {
    SchedulePosition p = schedule.position(step, plateau);
    return new Position(p.step(), p.cycle(), p.cycleStep(), p.cycleLength(), p.phase().name(), p.learningRate());
  }

  /** {@code sha256:<hex>} of the canonical schedule definition. */
  public String fingerprint() {
    return schedule.fingerprint();
  }

  /** The canonical definition, for the checkpoint manifest. */
  public Map<String, Object> manifest() {
    return new LinkedHashMap<>(schedule.config().toManifest());
  }

  public Map<String, Object> plateauState() {
    return plateau.toMap();
  }

  public void restorePlateauState(Map<String, Object> state) {
    plateau = state == null || state.isEmpty() ? PlateauState.initial() : PlateauState.fromMap(state);
  }

  /** Feeds a validation loss measured after step {@code step} to restart-on-plateau (no-op when not configured). */
  public void observeValidation(long step, double validationLoss) {
    if (schedule.restartsOnPlateau() && Double.isFinite(validationLoss)) {
      plateau = Plateau.observe(schedule, plateau, step, validationLoss);
    }
  }

  public boolean usesValidation() {
    return schedule.restartsOnPlateau();
  }
}
