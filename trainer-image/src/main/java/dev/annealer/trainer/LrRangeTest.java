package dev.annealer.trainer;

import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.trainee.Trainee;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code training.mode: lrRangeTest}: trains with an exponentially rising learning rate and records the loss.
 *
 * <pre>
 *   lr_i        = lrMin · (lrMax / lrMin)^(i / (n − 1)),  i = 0 .. n−1
 *   smooth_i    = EMA_0.98(loss)_i / (1 − 0.98^(i+1))    (bias-corrected)
 *   stop early when smooth_i > 4 · min(smooth) or the loss is not finite
 *   suggestion  = lr at the steepest descent of smooth over log(lr), ignoring the first and last 10% of the sweep
 * </pre>
 *
 * Writes {@code lr-range-test.csv} and {@code lr-range-test.png} into the checkpoint directory.
 */
public final class LrRangeTest {
  private final JobConfig cfg;
  private final Trainee trainee;
  private final Path outDir;
  private final Preemption preemption;
  private final TerminationLog termination;
  private final Consumer<String> log;

  public LrRangeTest(JobConfig cfg, Trainee trainee, Path outDir, Preemption preemption,
      TerminationLog termination, Consumer<String> log) {
    this.cfg = cfg;
    this.trainee = trainee;
    this.outDir = outDir;
    this.preemption = preemption;
    this.termination = termination;
    this.log = log;
  }

  /** Learning rate of sweep step {@code i} of {@code n}. */
  public static double lrAt(int i, int n, double min, double max) {
    return min * Math.pow(max / min, i / (double) (n - 1));
  }

  /** Index of the suggested learning rate: steepest negative slope of the smoothed loss against log(lr). */
  public static int suggest(List<Double> lrs, List<Double> smooth) {
    int n = smooth.size();
    int from = Math.max(1, n / 10);
    int to = Math.max(from + 1, n - n / 10);
    int best = Math.min(n - 1, from);
    double bestSlope = Double.POSITIVE_INFINITY;
    for (int i = from; i < to && i < n; i++) {
      double slope = (smooth.get(i) - smooth.get(i - 1)) / (Math.log(lrs.get(i)) - Math.log(lrs.get(i - 1)));
      if (slope < bestSlope) {
        bestSlope = slope;
        best = i;
      }
    }
    return best;
  }

  public int run(PrintStream out, int steps) throws IOException {
    JobConfig.LrRangeTest r = cfg.training().lrRangeTest();
    List<Double> lrs = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    List<Double> smooth = new ArrayList<>();
    double ema = 0;
    double best = Double.POSITIVE_INFINITY;
    int i = 0;
    for (; i < steps && !preemption.requested(); i++) {
      double lr = lrAt(i, steps, r.startLearningRate(), r.endLearningRate());
      double loss = trainee.step(i, lr).loss();
      if (!Double.isFinite(loss)) {
        log.accept("event=lr-range-stop step=" + i + " reason=non-finite-loss lr=" + lr);
        break;
      }
      ema = 0.98 * ema + 0.02 * loss;
      double s = ema / (1 - Math.pow(0.98, i + 1));
      lrs.add(lr);
      losses.add(loss);
      smooth.add(s);
      log.accept("event=lr-range step=" + i + " lr=" + lr + " loss=" + loss + " smoothedLoss=" + s);
      best = Math.min(best, s);
      if (s > 4 * best) {
        log.accept("event=lr-range-stop step=" + i + " reason=diverged lr=" + lr);
        i++;
        break;
      }
    }
    Files.createDirectories(outDir);
    StringBuilder csv = new StringBuilder("step,learningRate,loss,smoothedLoss\n");
    for (int k = 0; k < lrs.size(); k++) {
      csv.append(k).append(',').append(lrs.get(k)).append(',').append(losses.get(k)).append(',').append(smooth.get(k)).append('\n');
    }
    Files.writeString(outDir.resolve("lr-range-test.csv"), csv);
    if (preemption.requested()) {
      termination.write("checkpointed after preemption: step=" + lrs.size() + " checkpoint=none (lrRangeTest restarts from scratch)");
      return TrainingRun.EXIT_PREEMPTED;
    }
    if (lrs.size() < 3) {
      throw new TrainerFailure(TrainerFailure.Reason.NonFiniteLoss, "the LR range test diverged after " + lrs.size()
          + " steps: lower spec.training.lrRangeTest.startLearningRate");
    }
    int k = suggest(lrs, smooth);
    double suggested = lrs.get(k);
    plot(lrs, smooth, suggested);
    String digest = ParamsDigest.sha256(trainee.parameters());
    log.accept("event=lr-range-done steps=" + lrs.size() + " suggestedLearningRate=" + suggested + " csv="
        + outDir.resolve("lr-range-test.csv") + " plot=" + outDir.resolve("lr-range-test.png"));
    out.println(String.format(Locale.ROOT, "suggested learningRate=%.3g (steepest loss descent; see lr-range-test.png)", suggested));
    termination.write("succeeded: step=" + lrs.size() + " checkpoint=none paramsSha256=" + digest + " loss="
        + losses.get(losses.size() - 1) + " suggestedLearningRate=" + suggested);
    out.println("done step=" + lrs.size() + " paramsSha256=" + digest);
    return 0;
  }

  private void plot(List<Double> lrs, List<Double> smooth, double suggested) throws IOException {
    XYChart chart = new XYChartBuilder().width(800).height(500).title("LR range test: " + cfg.job().name())
        .xAxisTitle("learning rate (log)").yAxisTitle("smoothed training loss").build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setLegendVisible(true);
    chart.addSeries("loss", lrs, smooth).setMarker(SeriesMarkers.NONE);
    double lo = smooth.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double hi = smooth.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    chart.addSeries(String.format(Locale.ROOT, "suggested %.3g", suggested), List.of(suggested, suggested), List.of(lo, hi))
        .setMarker(SeriesMarkers.NONE);
    BitmapEncoder.saveBitmap(chart, outDir.resolve("lr-range-test.png").toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
