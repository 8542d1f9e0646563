package dev.annealer.trainer.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.data.TokenizedRecord;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One conformance case of {@code src/test/resources/hf/} (copied from the shared conformance set). */
final class HfCase {
  static final ObjectMapper JSON = new ObjectMapper();

  final String name;
  final Path dir;
  final JsonNode ref;
  final List<JsonNode> records = new ArrayList<>();

  HfCase(String name) throws IOException {
    this.name = name;
    try {
      this.dir = Path.of(HfCase.class.getResource("/hf/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    this.ref = JSON.readTree(Files.readString(dir.resolve("reference.json")));
    for (String line : Files.readAllLines(dir.resolve("train.jsonl"))) {
      if (!line.isBlank()) {
        records.add(JSON.readTree(line));
      }
    }
  }

  Path model() {
    return dir.resolve("model");
  }

  boolean classification() {
    return ref.has("numLabels");
  }

  HfTask task() {
    return classification() ? HfTask.CLASSIFICATION : HfTask.CAUSAL_LM;
  }

  int maxLength() {
    return ref.get("job").get("maxLength").asInt();
  }

  TokenizedRecord encode(TextEncoder enc, int i) {
    JsonNode r = records.get(i);
    if (classification()) {
      return enc.classification(r.get("text").asText(), r.get("label").asInt());
    }
    return enc.causal(r.get("prompt").asText(), r.get("completion").asText());
  }

  static long[] longs(JsonNode n) {
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }

  static double[] doubles(JsonNode n) {
    double[] out = new double[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asDouble();
    }
    return out;
  }
}
