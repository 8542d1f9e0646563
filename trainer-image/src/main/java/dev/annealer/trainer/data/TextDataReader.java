package dev.annealer.trainer.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Reads the text records of a Hugging Face job from JSONL (one object per line, string fields) or CSV (a header row,
 * one record per line, double quotes group a field), in file order. A record with a missing or non-string text field,
 * or a label that is not a number (classification: not a non-negative integer), is a bad record: the job fails
 * naming file, line and field, or the record is skipped and counted ({@code onBadRecord: skip}).
 */
public final class TextDataReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The columns to read (null = not read) and what the label is. */
  public record Columns(String text, String prompt, String completion, String label, String task) {}

  private final Columns columns;
  private final boolean skipBad;
  private final LongConsumer onSkip;

  public TextDataReader(Columns columns, boolean skipBad, LongConsumer onSkip) {
    this.columns = columns;
    this.skipBad = skipBad;
    this.onSkip = onSkip;
  }

  /** The records of {@code file}; {@code field} names the spec field in errors ({@code spec.data.train}). */
  public List<TextRecord> read(Path file, String format, String field) {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      List<TextRecord> out = format.equals("csv") ? readCsv(file, in) : readJsonl(file, in);
      if (out.isEmpty()) {
        throw new TrainerFailure(Reason.BadRecord, file + " has no usable records: check the file and spec.data");
      }
      return out;
    } catch (NoSuchFileException e) {
      throw new TrainerFailure(Reason.MissingFile, field + " file " + file + " does not exist: check the path (relative paths "
          + "resolve against the working directory, pvc://CLAIM/path against ANNEALER_PVC_ROOT)");
    } catch (IOException e) {
      throw new TrainerFailure(Reason.MissingFile, field + " file " + file + " cannot be read: " + e.getMessage());
    }
  }

  private List<TextRecord> readJsonl(Path file, BufferedReader in) throws IOException {
    List<TextRecord> out = new ArrayList<>();
    long lineNo = 0;
    String line;
    while ((line = in.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        bad(file, lineNo, "not valid JSON (" + e.getOriginalMessage() + ")");
        continue;
      }
      if (node == null || !node.isObject()) {
        bad(file, lineNo, "not a JSON object");
        continue;
      }
      TextRecord r = record(file, lineNo, name -> {
        JsonNode v = node.get(name);
        return v == null || v.isNull() || !v.isValueNode() ? null : v.asText();
      }, name -> {
        JsonNode v = node.get(name);
        return v != null && v.isTextual();
      });
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  private List<TextRecord> readCsv(Path file, BufferedReader in) throws IOException {
    String header = in.readLine();
    if (header == null) {
      return List.of();
    }
    List<String> names = DataReader.splitCsv(header);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      index.put(names.get(i).trim(), i);
    }
    for (String[] c : new String[][] {{"spec.data.text", columns.text()}, {"spec.data.prompt", columns.prompt()},
        {"spec.data.completion", columns.completion()}, {"spec.data.label", columns.label()}}) {
      if (c[1] != null && !index.containsKey(c[1])) {
        throw new TrainerFailure(Reason.InvalidSpec, c[0] + " names column '" + c[1] + "' but " + file + ":1 has columns "
            + names + ": fix the name or the file");
      }
    }
    List<TextRecord> out = new ArrayList<>();
    long lineNo = 1;
    String line;
    while ((line = in.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      List<String> fields = DataReader.splitCsv(line);
      if (fields.size() != names.size()) {
        bad(file, lineNo, fields.size() + " fields, expected " + names.size() + " as in the header");
        continue;
      }
      TextRecord r = record(file, lineNo, name -> fields.get(index.get(name)), name -> true);
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  private TextRecord record(Path file, long lineNo, java.util.function.Function<String, String> get,
      java.util.function.Predicate<String> isString) {
    String[] values = new String[3];
    String[] cols = {columns.text(), columns.prompt(), columns.completion()};
    for (int i = 0; i < 3; i++) {
      if (cols[i] == null) {
        continue;
      }
      values[i] = get.apply(cols[i]);
      if (values[i] == null || !isString.test(cols[i])) {
        bad(file, lineNo, values[i] == null ? "field '" + cols[i] + "' is missing" : "field '" + cols[i] + "' is not a string");
        return null;
      }
    }
    double label = Double.NaN;
    if (columns.label() != null) {
      String raw = get.apply(columns.label());
      if (raw == null) {
        bad(file, lineNo, "field '" + columns.label() + "' is missing");
        return null;
      }
      try {
        label = Double.parseDouble(raw.trim());
      } catch (NumberFormatException e) {
        label = Double.NaN;
      }
      if (!Double.isFinite(label)) {
        bad(file, lineNo, "field '" + columns.label() + "' value '" + raw + "' is not a finite number");
        return null;
      }
      if (columns.task().equals("classification") && (label < 0 || label != Math.rint(label))) {
        bad(file, lineNo, "field '" + columns.label() + "' value '" + raw + "' is not a class index 0..K-1");
        return null;
      }
    }
    return new TextRecord(values[0], values[1], values[2], label);
  }

  private void bad(Path file, long lineNo, String problem) {
    if (!skipBad) {
      throw new TrainerFailure(Reason.BadRecord, file + ":" + lineNo + ": " + problem
          + ": fix the record or set spec.data.onBadRecord: skip");
    }
    onSkip.accept(lineNo);
  }
}
