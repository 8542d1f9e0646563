package dev.annealer.trainer.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Generates examples/data/quickstart-{train,val}.csv: a synthetic regression set, deterministic (fixed seed, fixed
 * formatting), so the committed files can be regenerated and checked byte for byte.
 *
 * <pre>
 *   f0..f7 ~ U(-2, 2)
 *   y = sin(f0) + 0.5·f1·f2 − 0.3·f3² + 0.2·f4 + 0.1·cos(3·f5) + 0.05·f6·f7 + N(0, 0.05²)
 * </pre>
 *
 * Run: {@code java -cp trainer-image/target/test-classes dev.annealer.trainer.tools.QuickstartData examples/data}
 */
public final class QuickstartData {
  public static final int FEATURES = 8;
  public static final int TRAIN_ROWS = 4000;
  public static final int VAL_ROWS = 1000;

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "examples/data");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("quickstart-train.csv"), csv(TRAIN_ROWS, 20261128L));
    Files.writeString(dir.resolve("quickstart-val.csv"), csv(VAL_ROWS, 20261129L));
  }

  public static String csv(int rows, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < FEATURES; c++) {
      sb.append('f').append(c).append(',');
    }
    sb.append("y\n");
    double[] x = new double[FEATURES];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < FEATURES; c++) {
        x[c] = Math.round((rnd.nextDouble() * 4 - 2) * 1e4) / 1e4;
        sb.append(String.format(Locale.ROOT, "%.4f,", x[c]));
      }
      double noise = gaussian(rnd) * 0.05;
      double y = Math.sin(x[0]) + 0.5 * x[1] * x[2] - 0.3 * x[3] * x[3] + 0.2 * x[4] + 0.1 * Math.cos(3 * x[5])
          + 0.05 * x[6] * x[7] + noise;
      sb.append(String.format(Locale.ROOT, "%.5f%n", y));
    }
    return sb.toString().replace(System.lineSeparator(), "\n");
  }

  /** Box–Muller on the generator's doubles (SplittableRandom has no nextGaussian on Java 17). */
  private static double gaussian(SplittableRandom rnd) {
    double u1 = rnd.nextDouble();
    double u2 = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
