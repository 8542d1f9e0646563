package dev.annealer.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.data.BatchPlan;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code training.mode: lrRangeTest}: trains with an exponentially rising learning rate and records the loss.
 *
 * <pre>
 *   lr_i        = lrMin · (lrMax / lrMin)^(i / (n − 1)),  i = 0 .. n−1
 *   smooth_i    = EMA_0.98(loss)_i / (1 − 0.98^(i+1))    (bias-corrected)
 *   stop early when smooth_i > 4 · min(smooth) or the loss is not finite
 *   suggestions = fastai 2.8.12's valley (the default, "suggested"), steep, minimum and slide ({@link LrSuggestions})
 * </pre>
 *
 * Writes {@code lr-range-test.csv}, {@code lr-range-test.json} (the suggestions) and {@code lr-range-test.png} (the
 * curve, one labelled marker per suggestion) into the checkpoint directory.
 */
public final class LrRangeTest {
  /** File names in the checkpoint directory. */
  public static final String CSV = "lr-range-test.csv";
  public static final String JSON_FILE = "lr-range-test.json";
  public static final String PLOT = "lr-range-test.png";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final JobConfig cfg;
  private final StepRunner runner;
  private final BatchPlan plan;
  private final Path outDir;
  private final Preemption preemption;
  private final TerminationLog termination;
  private final Consumer<String> log;

  public LrRangeTest(JobConfig cfg, StepRunner runner, BatchPlan plan, Path outDir, Preemption preemption,
      TerminationLog termination, Consumer<String> log) {
    this.cfg = cfg;
    this.runner = runner;
    this.plan = plan;
    this.outDir = outDir;
    this.preemption = preemption;
    this.termination = termination;
    this.log = log;
  }

  /** Learning rate of sweep step {@code i} of {@code n}. */
  public static double lrAt(int i, int n, double min, double max) {
    return min * Math.pow(max / min, i / (double) (n - 1));
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
      double loss = runner.step(plan.batches(i), lr).loss();
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
    Files.writeString(outDir.resolve(CSV), csv);
    if (preemption.requested()) {
      termination.write("checkpointed after preemption: step=" + lrs.size() + " checkpoint=none (lrRangeTest restarts from scratch)");
      return TrainingRun.EXIT_PREEMPTED;
    }
    if (lrs.size() < 3) {
      throw new TrainerFailure(TrainerFailure.Reason.NonFiniteLoss, "the LR range test diverged after " + lrs.size()
          + " steps: lower spec.training.lrRangeTest.startLearningRate");
    }
    LrSuggestions sug;
    try {
      sug = LrSuggestions.of(toArray(lrs), toArray(smooth), steps);
    } catch (IllegalArgumentException e) {
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, e.getMessage());
    }
    double suggested = sug.suggested().learningRate();
    Path csvPath = outDir.resolve(CSV);
    Path jsonPath = outDir.resolve(JSON_FILE);
    Path plotPath = outDir.resolve(PLOT);
    JSON.writerWithDefaultPrettyPrinter().writeValue(jsonPath.toFile(), summary(sug, lrs.size(), steps));
    plot(lrs, smooth, sug);
    String digest = ParamsDigest.sha256(runner.parameters());
    log.accept("event=lr-range-done steps=" + lrs.size() + " suggestedLearningRate=" + suggested + " " + rulesKv(sug)
        + " csv=" + csvPath + " json=" + jsonPath + " plot=" + plotPath);
    out.println(String.format(Locale.ROOT, "suggested learningRate=%.3g (valley; see %s)", suggested, PLOT));
    for (String rule : LrSuggestions.RULES) {
      LrSuggestions.Suggestion x = sug.byRule(rule);
      out.println(x == null
          ? String.format(Locale.ROOT, "  %-8s none (needs %d points after fastai's window, got %d)", rule,
              LrSuggestions.SLIDE_LR_DIFF + 1, sug.windowTo() - sug.windowFrom())
          : String.format(Locale.ROOT, "  %-8s %.3g (step %d)", rule, x.learningRate(), x.step()));
    }
    termination.write("succeeded: step=" + lrs.size() + " checkpoint=none paramsSha256=" + digest + " loss="
        + losses.get(losses.size() - 1) + " suggestedLearningRate=" + suggested + " " + rulesKv(sug));
    out.println("done step=" + lrs.size() + " paramsSha256=" + digest);
    return 0;
  }

  /** {@code valley=<lr> steep=<lr> minimum=<lr> slide=<lr or none>}: the termination message's tail. */
  static String rulesKv(LrSuggestions sug) {
    StringBuilder b = new StringBuilder();
    for (String rule : LrSuggestions.RULES) {
      LrSuggestions.Suggestion x = sug.byRule(rule);
      b.append(b.length() == 0 ? "" : " ").append(rule).append('=').append(x == null ? "none" : x.learningRate());
    }
    return b.toString();
  }

  /** The content of {@code lr-range-test.json}. */
  static Map<String, Object> summary(LrSuggestions sug, int points, int plannedSteps) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("suggested", sug.suggested().learningRate());
    m.put("rule", LrSuggestions.VALLEY);
    for (String rule : LrSuggestions.RULES) {
      LrSuggestions.Suggestion x = sug.byRule(rule);
      m.put(rule, x == null ? null : ordered("learningRate", x.learningRate(), "step", x.step()));
    }
    m.put("points", points);
    m.put("plannedSteps", plannedSteps);
    m.put("window", ordered("from", sug.windowFrom(), "to", sug.windowTo()));
    m.put("rules", "fastai 2.8.12 lr_find suggestion functions, on the smoothed loss");
    m.put("csv", CSV);
    m.put("plot", PLOT);
    return m;
  }

  private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(k1, v1);
    m.put(k2, v2);
    return m;
  }

  private static double[] toArray(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private void plot(List<Double> lrs, List<Double> smooth, LrSuggestions sug) throws IOException {
    XYChart chart = new XYChartBuilder().width(900).height(550).title("LR range test: " + cfg.job().name())
        .xAxisTitle("learning rate (log)").yAxisTitle("smoothed training loss").build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setLegendVisible(true);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
    chart.getStyler().setMarkerSize(11);
    chart.addSeries("smoothed loss", lrs, smooth).setMarker(SeriesMarkers.NONE);
    Marker[] markers = {SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.SQUARE, SeriesMarkers.CIRCLE};
    int k = 0;
    for (LrSuggestions.Suggestion x : sug.all()) {
      double y = lossAt(lrs, smooth, x.learningRate());
      String label = String.format(Locale.ROOT, "%s %.3g%s", x.rule(), x.learningRate(),
          x.rule().equals(LrSuggestions.VALLEY) ? " (suggested)" : "");
      XYSeries s = chart.addSeries(label, List.of(x.learningRate()), List.of(y));
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      s.setMarker(markers[k++ % markers.length]);
    }
    BitmapEncoder.saveBitmap(chart, outDir.resolve(PLOT).toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /** The smoothed loss at {@code lr}, interpolated over log(lr) (minimum's lr / 10 lies between points). */
  static double lossAt(List<Double> lrs, List<Double> smooth, double lr) {
    if (lr <= lrs.get(0)) {
      return smooth.get(0);
    }
    for (int i = 1; i < lrs.size(); i++) {
      if (lr <= lrs.get(i)) {
        double t = (Math.log(lr) - Math.log(lrs.get(i - 1))) / (Math.log(lrs.get(i)) - Math.log(lrs.get(i - 1)));
        return smooth.get(i - 1) + t * (smooth.get(i) - smooth.get(i - 1));
      }
    }
    return smooth.get(smooth.size() - 1);
  }
}
