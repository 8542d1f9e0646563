package dev.annealer.trainer.hf.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.TrainerFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The pad, eos and bos token ids of a model directory. Each comes from {@code tokenizer_config.json}'s token string
 * ({@code "pad_token": "<pad>"} or an AddedToken object) looked up in {@code tokenizer.json} (added tokens, then the
 * model vocabulary) — what {@code tokenizer.pad_token_id} returns — else from {@code config.json}'s
 * {@code *_token_id}, else from {@code generation_config.json}. Null when none of them names one.
 */
public record SpecialTokens(Long padId, Long eosId, Long bosId) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static SpecialTokens read(Path modelDir) throws IOException {
    JsonNode tokCfg = readJson(modelDir.resolve("tokenizer_config.json"));
    JsonNode tok = readJson(modelDir.resolve("tokenizer.json"));
    JsonNode cfg = readJson(modelDir.resolve("config.json"));
    JsonNode gen = readJson(modelDir.resolve("generation_config.json"));
    Map<String, Long> vocab = vocabulary(tok, tokCfg);
    return new SpecialTokens(resolve("pad", tokCfg, vocab, cfg, gen, modelDir),
        resolve("eos", tokCfg, vocab, cfg, gen, modelDir), resolve("bos", tokCfg, vocab, cfg, gen, modelDir));
  }

  /** The pad id, or an InvalidSpec naming where it is looked for. */
  public long requirePad(Path modelDir) {
    if (padId == null) {
      throw TrainerFailure.invalid("spec.model.source tokenizer_config.json pad_token", "nothing",
          "must name a padding token to batch records (" + modelDir + " has no pad_token in tokenizer_config.json"
              + " and no pad_token_id in config.json; many models use their eos token: \"pad_token\": \"</s>\")");
    }
    return padId;
  }

  /** The eos id, or an InvalidSpec (causal LM records end with it). */
  public long requireEos(Path modelDir) {
    if (eosId == null) {
      throw TrainerFailure.invalid("spec.model.source tokenizer_config.json eos_token", "nothing",
          "must name an end-of-sequence token: causal LM records end with it (" + modelDir
              + " has none in tokenizer_config.json, config.json or generation_config.json)");
    }
    return eosId;
  }

  private static Long resolve(String kind, JsonNode tokCfg, Map<String, Long> vocab, JsonNode cfg, JsonNode gen,
      Path dir) {
    String token = tokenString(tokCfg == null ? null : tokCfg.get(kind + "_token"));
    if (token != null) {
      Long id = vocab.get(token);
      if (id == null) {
        throw TrainerFailure.invalid("spec.model.source tokenizer_config.json " + kind + "_token", token,
            "is not a token of " + dir.resolve("tokenizer.json"));
      }
      return id;
    }
    for (JsonNode n : new JsonNode[] {cfg, gen}) {
      JsonNode v = n == null ? null : n.get(kind + "_token_id");
      if (v != null && v.isArray() && v.size() > 0) {
        v = v.get(0);
      }
      if (v != null && v.canConvertToLong() && v.isIntegralNumber()) {
        return v.asLong();
      }
    }
    return null;
  }

  private static String tokenString(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isTextual()) {
      return n.asText();
    }
    JsonNode c = n.get("content");
    return c == null || c.isNull() ? null : c.asText();
  }

  /** Token string to id: the model vocabulary, overridden by added tokens (as the tokenizer resolves them). */
  private static Map<String, Long> vocabulary(JsonNode tok, JsonNode tokCfg) {
    Map<String, Long> out = new HashMap<>();
    if (tok != null) {
      JsonNode model = tok.get("model");
      JsonNode v = model == null ? null : model.get("vocab");
      if (v != null && v.isObject()) {
        v.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
      } else if (v != null && v.isArray()) { // Unigram: [[piece, score], ...], id = index
        for (int i = 0; i < v.size(); i++) {
          out.put(v.get(i).get(0).asText(), (long) i);
        }
      }
      JsonNode added = tok.get("added_tokens");
      if (added != null) {
        for (JsonNode a : added) {
          out.put(a.get("content").asText(), a.get("id").asLong());
        }
      }
    }
    JsonNode dec = tokCfg == null ? null : tokCfg.get("added_tokens_decoder");
    if (dec != null && dec.isObject()) {
      dec.fields().forEachRemaining(e -> out.putIfAbsent(e.getValue().path("content").asText(),
          Long.parseLong(e.getKey())));
    }
    return out;
  }

  private static JsonNode readJson(Path p) throws IOException {
    if (!Files.isRegularFile(p)) {
      return null;
    }
    try {
      return JSON.readTree(Files.readString(p));
    } catch (IOException e) {
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, "spec.model.source " + p.getFileName()
          + " is not valid JSON: " + p + ": " + e.getMessage());
    }
  }
}
