package dev.annealer.trainer.trainee;

/** The factory that picks the {@link Trainee} by {@code spec.model.format}. */
public final class Trainees {
  private Trainees() {}

  /** huggingface → {@link HfTrainee} on {@code backend}; every other format → {@link FloatTrainee}. */
  public static TraineeFactory byFormat(HfBackend backend) {
    return ctx -> ctx.cfg().model().huggingFace() ? HfTrainee.open(ctx, backend) : FloatTrainee.open(ctx);
  }

  /** The production factory: the Hugging Face model families of {@code dev.annealer.trainer.hf}. */
  public static TraineeFactory standard() {
    return byFormat(HfBackend.standard());
  }
}
