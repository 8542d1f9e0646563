package dev.annealer.trainer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The four learning-rate suggestions of fastai 2.8.12's {@code lr_find} ({@code fastai.callback.schedule}), as a pure
 * function of a finished range test: the learning rates and the smoothed (bias-corrected EMA 0.98) losses.
 *
 * <p>fastai's window: the rules see only points {@code plannedSteps / 10} (integer division, on the planned sweep
 * length, also when the sweep stopped early) to {@code n − 5} (exclusive), held as float32 tensors. Inside it, with
 * {@code w} the window's losses and {@code l} its learning rates:
 * <pre>
 *   valley  = l[s + ⌊L/3⌋ + ⌊L/6⌋]   L = length of the longest strictly decreasing subsequence of w (first one to
 *             reach it, ending at e), s = e − L; a negative index counts from the end, as in Python
 *   steep   = l[argmin_k (w[k+1] − w[k]) / (ln l[k+1] − ln l[k])]
 *   minimum = l[argmin w] / 10
 *   slide   = with g = numpy.gradient(w) (unit spacing), r = m − 1, j = r − 15: while j ≥ 0 and
 *             |g[r] − g[j]| > 0.005 { pick j; r−−; j−− }; l[last picked j], or l[m − 16] if none was picked
 * </pre>
 * Every comparison and difference is done in float32, as fastai's tensors do, so ties break the same way; argmin takes
 * the first minimum. {@code slide} needs 16 points in the window and is absent below that (fastai raises there).
 */
public record LrSuggestions(Suggestion valley, Suggestion steep, Suggestion minimum, Suggestion slide, int windowFrom,
    int windowTo) {

  /** The rules in the order they are printed; {@link #VALLEY} is the default, printed as "suggested". */
  public static final String VALLEY = "valley";
  public static final String STEEP = "steep";
  public static final String MINIMUM = "minimum";
  public static final String SLIDE = "slide";
  public static final List<String> RULES = List.of(VALLEY, STEEP, MINIMUM, SLIDE);

  /** Points fastai drops at the end of the sweep. */
  static final int SKIP_END = 5;
  /** {@code slide}'s {@code lr_diff} and {@code thresh}. */
  static final int SLIDE_LR_DIFF = 15;
  static final float SLIDE_THRESHOLD = 0.005f;

  /**
   * One rule's pick.
   *
   * @param rule         valley, steep, minimum or slide
   * @param learningRate the suggested learning rate (for minimum: the minimum's rate / 10)
   * @param step         index into the whole sweep (the CSV's step) of the point the rule chose
   */
  public record Suggestion(String rule, double learningRate, int step) {}

  /** The suggestion of the default rule (valley). */
  public Suggestion suggested() {
    return valley;
  }

  /** The rule's suggestion, or null when it has none (slide on a short window). */
  public Suggestion byRule(String rule) {
    return switch (rule) {
      case VALLEY -> valley;
      case STEEP -> steep;
      case MINIMUM -> minimum;
      case SLIDE -> slide;
      default -> throw new IllegalArgumentException("unknown rule " + rule + ": use one of " + RULES);
    };
  }

  /** The suggestions present, in {@link #RULES} order. */
  public List<Suggestion> all() {
    List<Suggestion> out = new ArrayList<>();
    for (String r : RULES) {
      if (byRule(r) != null) {
        out.add(byRule(r));
      }
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * fastai's suggestions for a sweep.
   *
   * @param lrs          learning rate of each recorded step, increasing
   * @param smoothed     smoothed loss of each recorded step (finite)
   * @param plannedSteps the sweep length asked for (fastai's {@code num_it}); the window starts at plannedSteps / 10
   * @throws IllegalArgumentException when the window holds fewer than 2 points, with the counts and what to change
   */
  public static LrSuggestions of(double[] lrs, double[] smoothed, int plannedSteps) {
    if (lrs.length != smoothed.length) {
      throw new IllegalArgumentException("got " + lrs.length + " learning rates but " + smoothed.length + " losses");
    }
    int from = plannedSteps / 10;
    int to = lrs.length - SKIP_END;
    if (to - from < 2) {
      throw new IllegalArgumentException("the LR range test recorded " + lrs.length + " points but its suggestions read "
          + "points " + from + " (a tenth of the " + plannedSteps + " planned) up to 5 before the last, which leaves "
          + Math.max(0, to - from) + " (at least 2 needed): raise spec.training.maxSteps (100 or more is usual) or, if "
          + "the sweep diverged early, lower spec.training.lrRangeTest.endLearningRate");
    }
    int m = to - from;
    float[] l = new float[m];
    float[] w = new float[m];
    for (int i = 0; i < m; i++) {
      if (!Double.isFinite(smoothed[from + i]) || !(lrs[from + i] > 0)) {
        throw new IllegalArgumentException("point " + (from + i) + " has learning rate " + lrs[from + i] + " and smoothed "
            + "loss " + smoothed[from + i] + ": the rules need positive rates and finite losses");
      }
      l[i] = (float) lrs[from + i];
      w[i] = (float) smoothed[from + i];
    }
    int v = valleyIndex(w);
    int st = steepIndex(l, w);
    int mi = argmin(w);
    int sl = m > SLIDE_LR_DIFF ? slideIndex(w) : -1;
    return new LrSuggestions(
        new Suggestion(VALLEY, lrs[from + v], from + v),
        new Suggestion(STEEP, lrs[from + st], from + st),
        new Suggestion(MINIMUM, lrs[from + mi] / 10, from + mi),
        sl < 0 ? null : new Suggestion(SLIDE, lrs[from + sl], from + sl),
        from, to);
  }

  /**
   * fastai's {@code valley} index: its O(m²) dynamic program gives, for each i, the length of the longest strictly
   * decreasing subsequence ending at i, keeps the first i reaching the overall maximum L and starts the valley at
   * i − L. The same lengths come here from patience sorting in O(m log m).
   */
  static int valleyIndex(float[] w) {
    int m = w.length;
    float[] tails = new float[m]; // tails[k]: largest last value of a strictly decreasing subsequence of length k+1
    int len = 0;
    int maxEnd = 0;
    int maxLen = 1;
    for (int i = 0; i < m; i++) {
      // first k whose tail is <= w[i]: w[i] extends the subsequence of length k
      int lo = 0;
      int hi = len;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (tails[mid] > w[i]) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      tails[lo] = w[i];
      if (lo == len) {
        len++;
      }
      if (lo + 1 > maxLen) {
        maxLen = lo + 1;
        maxEnd = i;
      }
    }
    int maxStart = maxLen == 1 ? 0 : maxEnd - maxLen;
    double sections = (maxEnd - maxStart) / 3.0;
    int idx = maxStart + (int) sections + (int) (sections / 2);
    return idx < 0 ? idx + m : idx; // Python indexing: -1 is the last point
  }

  /** fastai's {@code steep}: the first steepest descent of the loss against the natural log of the rate. */
  static int steepIndex(float[] l, float[] w) {
    int best = 0;
    float bestGrad = Float.NaN;
    for (int k = 0; k + 1 < w.length; k++) {
      float g = (w[k + 1] - w[k]) / ((float) Math.log(l[k + 1]) - (float) Math.log(l[k]));
      if (k == 0 || g < bestGrad) {
        best = k;
        bestGrad = g;
      }
    }
    return best;
  }

  /** First index of the smallest value. */
  static int argmin(float[] w) {
    int best = 0;
    for (int i = 1; i < w.length; i++) {
      if (w[i] < w[best]) {
        best = i;
      }
    }
    return best;
  }

  /** fastai's {@code slide} with its defaults (lr_diff 15, thresh 0.005, adjust_value 1); needs m > 15. */
  static int slideIndex(float[] w) {
    int m = w.length;
    float[] g = new float[m];
    g[0] = w[1] - w[0];
    g[m - 1] = w[m - 1] - w[m - 2];
    for (int i = 1; i < m - 1; i++) {
      g[i] = (w[i + 1] - w[i - 1]) / 2f;
    }
    int r = m - 1;
    int j = r - SLIDE_LR_DIFF;
    int picked = j;
    while (j >= 0 && Math.abs(g[r] - g[j]) > SLIDE_THRESHOLD) {
      picked = j;
      r--;
      j--;
    }
    return picked;
  }
}
