package dev.annealer.trainer.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Streams a CSV (header row, comma-separated, optional double quotes) or JSONL (one object per line) file into a
 * columnar {@link Dataset}, one line at a time. A record whose field is missing or not a finite number is an error
 * naming {@code file:line} and the field, or, with {@code skipBad}, counted and skipped.
 */
public final class DataReader {
  private static final JsonFactory JSON = new JsonFactory();
  /** A plain decimal number as CSV writers produce it; Float.parseFloat also takes 1.5f, 2d and 0x1p3. */
  private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile(
      "[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?");
  private static final char BOM = '\uFEFF';

  private List<String> features;
  private final String label;
  private final boolean skipBad;
  private final LongConsumer onSkip;

  public DataReader(List<String> features, String label, boolean skipBad, LongConsumer onSkip) {
    this.features = features;
    this.label = label;
    this.skipBad = skipBad;
    this.onSkip = onSkip;
  }

  public Dataset read(Path file, String format, String field) {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      skipBom(in);
      return format.equals("jsonl") ? readJsonl(file, in) : readCsv(file, in);
    } catch (NoSuchFileException e) {
      throw new TrainerFailure(Reason.MissingFile, field + " file " + file + " does not exist: check the path (relative paths "
          + "resolve against the trainer's working directory, pvc://CLAIM/path against the volume of PVC CLAIM)");
    } catch (IOException e) {
      throw new TrainerFailure(Reason.MissingFile, field + " file " + file + " cannot be read: " + e.getMessage());
    }
  }

  private final class Columns {
    final float[][] cols = new float[features.size()][];
    float[] labels = new float[1024];
    int rows;
    long skipped;

    Columns() {
      for (int i = 0; i < cols.length; i++) {
        cols[i] = new float[1024];
      }
    }

    void add(float[] row, float y) {
      if (rows == labels.length) {
        // grow by 1.5x, not 2x: keeps the transient peak of a 1M-row load small
        int n = rows + (rows >> 1);
        labels = Arrays.copyOf(labels, n);
        for (int i = 0; i < cols.length; i++) {
          cols[i] = Arrays.copyOf(cols[i], n);
        }
      }
      for (int i = 0; i < cols.length; i++) {
        cols[i][rows] = row[i];
      }
      labels[rows++] = y;
    }

    Dataset finish(Path file) {
      float[][] out = new float[cols.length][];
      for (int i = 0; i < cols.length; i++) {
        out[i] = Arrays.copyOf(cols[i], rows);
        cols[i] = null;
      }
      float[] y = Arrays.copyOf(labels, rows);
      if (rows == 0) {
        throw new TrainerFailure(Reason.BadRecord, file + " has no usable records"
            + (skipped > 0 ? " (" + skipped + " bad records skipped)" : "") + ": check the file and spec.data.features/label");
      }
      return new Dataset(file.toString(), features.toArray(String[]::new), out, y, rows, skipped);
    }
  }

  private void bad(Columns c, Path file, long line, String what) {
    if (!skipBad) {
      throw new TrainerFailure(Reason.BadRecord, file + ":" + line + ": " + what
          + "; fix the record or set spec.data.onBadRecord: skip to count and skip bad records");
    }
    c.skipped++;
    onSkip.accept(line);
  }

  private Dataset readCsv(Path file, BufferedReader in) throws IOException {
    String header = in.readLine();
    if (header == null) {
      throw new TrainerFailure(Reason.BadRecord, file + ":1: empty file, expected a header row naming the columns");
    }
    List<String> names = splitCsv(header).stream().map(String::trim).toList();
    if (features.isEmpty()) {
      // spec.data.features absent: every column except the label, in file order
      features = names.stream().filter(n -> !n.equals(label)).toList();
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      index.put(names.get(i).trim(), i);
    }
    int[] featureIdx = new int[features.size()];
    for (int i = 0; i < featureIdx.length; i++) {
      Integer idx = index.get(features.get(i));
      if (idx == null) {
        throw missingColumn("spec.data.features", features.get(i), file, names);
      }
      featureIdx[i] = idx;
    }
    Integer labelIdx = index.get(label);
    if (labelIdx == null) {
      throw missingColumn("spec.data.label", label, file, names);
    }
    Columns c = new Columns();
    float[] row = new float[features.size()];
    long lineNo = 1;
    String line;
    record_loop:
    while ((line = in.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      List<String> fields = splitCsv(line);
      if (fields.size() != names.size()) {
        bad(c, file, lineNo, fields.size() + " fields, expected " + names.size() + " as in the header");
        continue;
      }
      for (int i = 0; i < featureIdx.length; i++) {
        String raw = fields.get(featureIdx[i]);
        float v = parse(raw);
        if (Float.isNaN(v) || Float.isInfinite(v)) {
          bad(c, file, lineNo, "field '" + features.get(i) + "' value '" + raw + "' is not a finite number");
          continue record_loop;
        }
        row[i] = v;
      }
      String raw = fields.get(labelIdx);
      float y = parse(raw);
      if (Float.isNaN(y) || Float.isInfinite(y)) {
        bad(c, file, lineNo, "field '" + label + "' value '" + raw + "' is not a finite number");
        continue;
      }
      c.add(row, y);
    }
    return c.finish(file);
  }

  /**
   * A column the spec names is not in the file. BadRecord, not InvalidSpec: spec.data is immutable once the job
   * started, so the file is what gets fixed, and a retry reads it again. Names are shown with invisible characters
   * escaped, so a stray zero-width space or BOM is seen.
   */
  private static TrainerFailure missingColumn(String field, String name, Path file, List<String> names) {
    return new TrainerFailure(Reason.BadRecord, field + " names column '" + visible(name) + "' but " + file
        + ":1 has columns " + names.stream().map(n -> "'" + visible(n) + "'").toList()
        + ": fix the header of the file (a retry reads it again) or create a new job with the right name");
  }

  /** The text with every non-printable or invisible character as {@code \\uXXXX}. */
  static String visible(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(cp -> {
      int type = Character.getType(cp);
      boolean invisible = cp < 0x20 || type == Character.FORMAT || type == Character.CONTROL
          || type == Character.UNASSIGNED || type == Character.SPACE_SEPARATOR && cp != ' '
          || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
      if (invisible) {
        b.append(String.format("\\u%04X", cp));
      } else {
        b.appendCodePoint(cp);
      }
    });
    return b.toString();
  }

  /** A UTF-8 byte order mark (Excel writes one) is not part of the first column's name. */
  private static void skipBom(BufferedReader in) throws IOException {
    in.mark(1);
    if (in.read() != BOM) {
      in.reset();
    }
  }

  private Dataset readJsonl(Path file, BufferedReader in) throws IOException {
    if (features.isEmpty()) {
      in.mark(1 << 20);
      String first = in.readLine();
      List<String> keys = new ArrayList<>();
      if (first != null) {
        try (JsonParser p = JSON.createParser(first)) {
          if (p.nextToken() == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              if (!p.currentName().equals(label)) {
                keys.add(p.currentName());
              }
              p.nextToken();
              p.skipChildren();
            }
          }
        } catch (IOException e) {
          // reported as a bad record of line 1 below
        }
      }
      features = keys;
      in.reset();
    }
    Map<String, Integer> featureIndex = new HashMap<>();
    for (int i = 0; i < features.size(); i++) {
      featureIndex.put(features.get(i), i);
    }
    Columns c = new Columns();
    float[] row = new float[features.size()];
    boolean[] seen = new boolean[features.size()];
    long lineNo = 0;
    String line;
    while ((line = in.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      Arrays.fill(seen, false);
      Float y = null;
      String problem = null;
      try (JsonParser p = JSON.createParser(line)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          problem = "not a JSON object";
        } else {
          while (problem == null && p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            Integer idx = featureIndex.get(name);
            boolean isLabel = name.equals(label);
            if (idx == null && !isLabel) {
              p.skipChildren();
              continue;
            }
            float v = t.isNumeric() ? p.getFloatValue() : t == JsonToken.VALUE_STRING ? parse(p.getText()) : Float.NaN;
            if (Float.isNaN(v) || Float.isInfinite(v)) {
              problem = "field '" + name + "' value " + p.getText() + " is not a finite number";
            } else if (isLabel) {
              y = v;
            } else {
              row[idx] = v;
              seen[idx] = true;
            }
          }
        }
      } catch (IOException e) {
        problem = "not valid JSON (" + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()) + ")";
      }
      if (problem == null) {
        for (int i = 0; i < seen.length; i++) {
          if (!seen[i]) {
            problem = "field '" + features.get(i) + "' is missing";
            break;
          }
        }
      }
      if (problem == null && y == null) {
        problem = "field '" + label + "' is missing";
      }
      if (problem != null) {
        bad(c, file, lineNo, problem);
        continue;
      }
      c.add(row, y);
    }
    return c.finish(file);
  }

  private static float parse(String raw) {
    String t = raw.trim();
    if (!DECIMAL.matcher(t).matches()) {
      return Float.NaN; // reported as "not a finite number" with the raw value
    }
    try {
      return Float.parseFloat(t);
    } catch (NumberFormatException e) {
      return Float.NaN;
    }
  }

  /** Splits one CSV line; double quotes group a field, {@code ""} inside quotes is a quote. */
  static List<String> splitCsv(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (ch == '"') {
          quoted = false;
        } else {
          cur.append(ch);
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(ch);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
