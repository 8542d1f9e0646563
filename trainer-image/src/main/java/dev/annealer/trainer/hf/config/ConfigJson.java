package dev.annealer.trainer.hf.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.trainer.TrainerFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed {@code config.json} with typed getters that apply HF's defaults and name the key in every error
 * ({@code spec.model.source config.json <key>}). A JSON {@code null} counts as absent, as HF's {@code __init__}s treat
 * it for the keys read here.
 */
public final class ConfigJson {
  static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectNode root;
  private final String file;

  public ConfigJson(ObjectNode root, String file) {
    this.root = root;
    this.file = file;
  }

  /** Reads {@code dir/config.json}; a missing or unparsable file is a {@link TrainerFailure}. */
  public static ConfigJson read(Path modelDir) {
    Path p = modelDir.resolve("config.json");
    try {
      JsonNode n = JSON.readTree(Files.readString(p));
      if (!(n instanceof ObjectNode o)) {
        throw TrainerFailure.invalid("spec.model.source config.json", p, "must be a JSON object");
      }
      return new ConfigJson(o, "config.json");
    } catch (NoSuchFileException e) {
      throw new TrainerFailure(TrainerFailure.Reason.MissingFile,
          "spec.model.source has no config.json: " + p + " does not exist (a Hugging Face model directory holds"
              + " config.json, model.safetensors and the tokenizer files)");
    } catch (IOException e) {
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec,
          "spec.model.source config.json is not valid JSON: " + p + ": " + e.getMessage(), e);
    }
  }

  public ObjectNode root() {
    return root;
  }

  /** The field name used in errors for {@code key}. */
  public String field(String key) {
    return "spec.model.source " + file + " " + key;
  }

  public boolean has(String key) {
    JsonNode n = root.get(key);
    return n != null && !n.isNull();
  }

  public JsonNode node(String key) {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? null : n;
  }

  public String string(String key, String dflt) {
    JsonNode n = node(key);
    if (n == null) {
      return dflt;
    }
    if (!n.isTextual()) {
      throw TrainerFailure.invalid(field(key), n, "must be a string");
    }
    return n.asText();
  }

  public int integer(String key, int dflt) {
    JsonNode n = node(key);
    if (n == null) {
      return dflt;
    }
    if (!n.canConvertToInt() || !(n.isIntegralNumber() || (n.isNumber() && n.asDouble() == Math.rint(n.asDouble())))) {
      throw TrainerFailure.invalid(field(key), n, "must be an integer");
    }
    return n.asInt();
  }

  public int positive(String key, int dflt) {
    int v = integer(key, dflt);
    if (v <= 0) {
      throw TrainerFailure.invalid(field(key), v, "must be positive");
    }
    return v;
  }

  /** An optional integer: {@code null} when absent. */
  public Integer optInteger(String key) {
    return has(key) ? integer(key, 0) : null;
  }

  public double number(String key, double dflt) {
    JsonNode n = node(key);
    if (n == null) {
      return dflt;
    }
    if (!n.isNumber()) {
      throw TrainerFailure.invalid(field(key), n, "must be a number");
    }
    return n.asDouble();
  }

  public boolean bool(String key, boolean dflt) {
    JsonNode n = node(key);
    if (n == null) {
      return dflt;
    }
    if (!n.isBoolean()) {
      throw TrainerFailure.invalid(field(key), n, "must be true or false");
    }
    return n.asBoolean();
  }

  /** Rejects a key whose value is not the one supported (absent/null counts as {@code supported}). */
  public void require(String key, Object supported, String what) {
    JsonNode n = node(key);
    if (n == null) {
      return;
    }
    Object v = n.isBoolean() ? (Object) n.asBoolean() : n.isNumber() ? (Object) n.asDouble() : n.asText();
    Object s = supported instanceof Number num ? (Object) num.doubleValue() : supported;
    if (!v.equals(s)) {
      throw TrainerFailure.invalid(field(key), n, what);
    }
  }

  /**
   * Dropout probabilities that are not zero: the trainer never applies dropout (exact, resumable steps), so they are
   * reported rather than silently honoured or dropped.
   */
  public List<String> nonZero(String... keys) {
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      if (has(k) && node(k).isNumber() && node(k).asDouble() != 0.0) {
        out.add(k + "=" + node(k).asText());
      }
    }
    return out;
  }
}
