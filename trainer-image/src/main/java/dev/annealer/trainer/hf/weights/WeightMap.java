package dev.annealer.trainer.hf.weights;

import dev.annealer.trainer.TrainerFailure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name table of one model: every parameter the model needs under its canonical HF state-dict name
 * ({@code model.layers.0.self_attn.q_proj.weight}) with its shape, plus the rules that bring a checkpoint's keys to
 * those names. A rule is a pattern and a replacement ({@code $1} for groups): an alias (older spellings, a missing
 * {@code transformer.}/{@code bert.} prefix, TF-era {@code LayerNorm.gamma}) or, with a null replacement, a key to drop
 * (buffers such as {@code rotary_emb.inv_freq}, {@code attn.bias}, {@code position_ids}). Since canonical names are
 * HF's, export is the identity. Unknown and missing keys fail, listing them.
 */
public final class WeightMap {
  /** One rule: the first rule whose pattern matches a whole key decides. */
  public record Rule(Pattern pattern, String replacement) {
    public static Rule alias(String regex, String replacement) {
      return new Rule(Pattern.compile(regex), replacement);
    }

    public static Rule drop(String regex) {
      return new Rule(Pattern.compile(regex), null);
    }
  }

  private final LinkedHashMap<String, long[]> expected = new LinkedHashMap<>();
  private final List<Rule> rules = new ArrayList<>();
  private final Set<String> optional = new LinkedHashSet<>();

  /** Declares a parameter (model order is declaration order). */
  public WeightMap param(String name, long... shape) {
    expected.put(name, shape);
    return this;
  }

  /** A parameter the family initializes itself when the checkpoint lacks it (a new classification head). */
  public WeightMap optional(String name) {
    optional.add(name);
    return this;
  }

  public WeightMap rule(Rule r) {
    rules.add(r);
    return this;
  }

  /** Canonical names and shapes, in model order. */
  public Map<String, long[]> expected() {
    return Collections.unmodifiableMap(expected);
  }

  public boolean isOptional(String name) {
    return optional.contains(name);
  }

  /**
   * The canonical name of a checkpoint key: the key itself if the model declares it, else the result of the rules
   * applied in order (each alias rewrites the key for the rules after it), or null when a drop rule matches.
   */
  public String canonical(String key) {
    String k = key;
    for (Rule r : rules) {
      if (expected.containsKey(k)) {
        return k;
      }
      Matcher m = r.pattern.matcher(k);
      if (m.matches()) {
        if (r.replacement == null) {
          return null;
        }
        k = m.replaceAll(r.replacement);
      }
    }
    return k;
  }

  /**
   * Maps a checkpoint's keys to parameters: canonical name to checkpoint key, in model order. Fails (InvalidSpec)
   * listing every unknown key, every missing parameter that is not optional, and keys claiming the same parameter.
   */
  public LinkedHashMap<String, String> resolve(Set<String> keys, String source) {
    Map<String, String> found = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    List<String> duplicate = new ArrayList<>();
    for (String key : keys) {
      String name = canonical(key);
      if (name == null) {
        continue;
      }
      if (!expected.containsKey(name)) {
        unknown.add(key);
      } else if (found.containsKey(name)) {
        duplicate.add(key + " and " + found.get(name) + " (both " + name + ")");
      } else {
        found.put(name, key);
      }
    }
    List<String> missing = new ArrayList<>();
    LinkedHashMap<String, String> out = new LinkedHashMap<>();
    for (String name : expected.keySet()) {
      if (found.containsKey(name)) {
        out.put(name, found.get(name));
      } else if (!optional.contains(name)) {
        missing.add(name);
      }
    }
    if (!unknown.isEmpty() || !missing.isEmpty() || !duplicate.isEmpty()) {
      StringBuilder b = new StringBuilder(source).append(" does not match the architecture in config.json:");
      if (!missing.isEmpty()) {
        b.append(" missing ").append(missing.size()).append(" tensor(s) ").append(list(missing)).append(';');
      }
      if (!unknown.isEmpty()) {
        b.append(" unexpected ").append(unknown.size()).append(" tensor(s) ").append(list(unknown)).append(';');
      }
      if (!duplicate.isEmpty()) {
        b.append(" duplicated ").append(list(duplicate)).append(';');
      }
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, b.toString());
    }
    return out;
  }

  /** Fails unless {@code shape} is the declared shape of {@code name}. */
  public void checkShape(String name, long[] shape, String source) {
    long[] want = expected.get(name);
    if (!Arrays.equals(want, shape)) {
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, source + ": tensor " + name + " has shape "
          + Arrays.toString(shape) + ", config.json implies " + Arrays.toString(want));
    }
  }

  private static String list(List<String> names) {
    int max = 20;
    String shown = String.join(", ", names.subList(0, Math.min(max, names.size())));
    return "[" + shown + (names.size() > max ? ", ... " + (names.size() - max) + " more" : "") + "]";
  }
}
