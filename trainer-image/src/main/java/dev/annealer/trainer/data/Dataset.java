package dev.annealer.trainer.data;

/**
 * A table of float32 features and labels stored column-wise ({@code float[]} per feature), so a million rows of
 * 16 features take 64 MB plus 4 MB of labels, with no per-row objects.
 *
 * @param featureNames column names, in model-input order
 * @param columns one array per feature, each of length {@code rows}
 * @param labels one label per row (class index as a float for classification)
 * @param skipped records skipped as bad ({@code data.onBadRecord: skip})
 */
public record Dataset(String source, String[] featureNames, float[][] columns, float[] labels, int rows, long skipped) {

  /** Copies row {@code row} into {@code out} at {@code offset} (row-major model input). */
  public void copyRow(int row, float[] out, int offset) {
    for (int c = 0; c < columns.length; c++) {
      out[offset + c] = columns[c][row];
    }
  }

  public int featureCount() {
    return columns.length;
  }
}
