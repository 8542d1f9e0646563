package dev.annealer.trainer.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.annealer.trainer.StepRunner;
import dev.annealer.trainer.data.BatchPlan;
import dev.annealer.trainer.data.DataReader;
import dev.annealer.trainer.data.Dataset;
import dev.annealer.trainer.model.DjlModel;
import dev.annealer.trainer.model.Initializers;
import dev.annealer.trainer.model.Task;
import dev.annealer.trainer.optim.AdamW;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Benchmark (not a test): steps/s of Annealer's step (DJL forward/backward + own AdamW on a float32 master copy)
 * against a bare DJL loop (DJL Trainer + DJL's native AdamW) on the same MLP and batches.
 *
 * <p>Usage: {@code java -cp <test classpath> dev.annealer.trainer.bench.StepThroughputBench <train.csv> [steps] [rounds]}
 */
public final class StepThroughputBench {
  public static void main(String[] args) throws Exception {
    Path csv = Path.of(args.length > 0 ? args[0] : "examples/data/quickstart-train.csv");
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    List<String> features = List.of("f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7");
    Dataset data = new DataReader(features, "y", false, l -> { }).read(csv, "csv", "bench");
    BatchPlan plan = new BatchPlan(data, 64, 1, 42, true);
    for (int r = 0; r < rounds; r++) {
      double ours = annealer(plan, steps);
      double bare = bareDjl(plan, steps);
      System.out.printf("round %d: annealer %.1f steps/s, bare DJL %.1f steps/s, ratio %.3f%n", r, ours, bare, ours / bare);
    }
  }

  static double annealer(BatchPlan plan, int steps) {
    try (DjlModel model = DjlModel.mlp(8, new int[] {64, 64}, 1, "tanh", Device.cpu())) {
      Initializers.linearDefault(model, 42);
      StepRunner runner = new StepRunner(model, new AdamW(0.9, 0.999, 1e-8, 0.01), Task.REGRESSION, null,
          model.parameterNames(), Map.of());
      for (int s = 0; s < 100; s++) {
        runner.step(plan.batches(s), 1e-3);
      }
      long t0 = System.nanoTime();
      for (int s = 0; s < steps; s++) {
        runner.step(plan.batches(s), 1e-3);
      }
      return steps / ((System.nanoTime() - t0) / 1e9);
    }
  }

  static double bareDjl(BatchPlan plan, int steps) {
    SequentialBlock seq = new SequentialBlock().add(Linear.builder().setUnits(64).build()).add(Activation::tanh)
        .add(Linear.builder().setUnits(64).build()).add(Activation::tanh).add(Linear.builder().setUnits(1).build());
    try (Model model = Model.newInstance("bare", Device.cpu(), "PyTorch")) {
      model.setBlock(seq);
      Loss mse = new Loss("mse") {
        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
          return predictions.singletonOrThrow().sub(labels.singletonOrThrow()).square().mean();
        }
      };
      DefaultTrainingConfig config = new DefaultTrainingConfig(mse)
          .optOptimizer(Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-3f)).optWeightDecays(0.01f).build());
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(1, 8));
        NDManager manager = trainer.getManager();
        for (int s = 0; s < 100; s++) {
          bareStep(trainer, manager, plan.batches(s).get(0));
        }
        long t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
          bareStep(trainer, manager, plan.batches(s).get(0));
        }
        return steps / ((System.nanoTime() - t0) / 1e9);
      }
    }
  }

  static void bareStep(Trainer trainer, NDManager manager, StepRunner.Batch b) {
    try (NDManager sub = manager.newSubManager();
        GradientCollector collector = trainer.newGradientCollector()) {
      NDArray x = sub.create(b.features(), new Shape(b.size(), 8));
      NDArray y = sub.create(b.labels(), new Shape(b.size(), 1));
      NDArray pred = trainer.forward(new NDList(x)).singletonOrThrow();
      NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(pred));
      collector.backward(loss);
      loss.getFloat();
    }
    trainer.step();
  }
}
