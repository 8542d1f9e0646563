package dev.annealer.trainer;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import dev.annealer.trainer.TrainerFailure.Reason;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.data.Locations;
import dev.annealer.trainer.model.DjlModel;
import dev.annealer.trainer.model.Initializers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Builds the model named by {@code spec.model} and resolves {@code trainable} / {@code learningRateMultipliers}. */
public final class ModelFactory {
  /** Next to exported DJL parameters: the builtin source string of their architecture. */
  public static final String ARCHITECTURE_FILE = "architecture";

  private ModelFactory() {}

  /**
   * A parsed builtin source: {@code builtin:mlp?hidden=64,64&activation=tanh} or
   * {@code builtin:cnn?image=1x8x8&channels=8,16&hidden=32}.
   */
  public record Builtin(String kind, int[] hidden, String activation, int[] image, int[] channels) {
    public DjlModel build(int inputs, int outputs, Device device) {
      if (kind.equals("cnn")) {
        return DjlModel.cnn(inputs, image[0], image[1], image[2], channels, hidden, outputs, device);
      }
      return DjlModel.mlp(inputs, hidden, outputs, activation, device);
    }
  }

  public static Builtin parseBuiltin(String source, String field) {
    String kind = source.startsWith("builtin:mlp") ? "mlp" : source.startsWith("builtin:cnn") ? "cnn" : null;
    if (kind == null || !(source.length() == 11 || source.charAt(11) == '?')) {
      throw TrainerFailure.invalid(field, source, "must be builtin:mlp?hidden=H1,H2&activation=tanh|relu|gelu|sigmoid or "
          + "builtin:cnn?image=CxHxW&channels=C1,C2&hidden=H1");
    }
    int[] hidden = kind.equals("cnn") ? new int[] {64} : new int[] {64, 64};
    int[] image = null;
    int[] channels = {16, 32};
    String activation = "relu";
    int q = source.indexOf('?');
    if (q >= 0) {
      for (String kv : source.substring(q + 1).split("&")) {
        String[] p = kv.split("=", 2);
        String value = p.length > 1 ? p[1] : "";
        switch (p[0]) {
          case "hidden" -> {
            try {
              hidden = value.isEmpty() ? new int[0]
                  : java.util.Arrays.stream(value.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
            } catch (NumberFormatException e) {
              throw TrainerFailure.invalid(field, source, "hidden must be comma-separated positive layer widths, e.g. hidden=64,64");
            }
            for (int h : hidden) {
              if (h < 1) {
                throw TrainerFailure.invalid(field, source, "hidden layer widths must be >= 1");
              }
            }
          }
          case "activation" -> activation = value;
          case "image" -> image = ints(value.split("x"), field, source, "image=CxHxW, e.g. image=1x8x8");
          case "channels" -> channels = ints(value.split(","), field, source, "channels=C1,C2, e.g. channels=8,16");
          default -> throw TrainerFailure.invalid(field, source, "knows the options hidden, activation, image, channels, not '"
              + p[0] + "'");
        }
      }
    }
    if (!List.of("tanh", "relu", "gelu", "sigmoid").contains(activation)) {
      throw TrainerFailure.invalid(field, source, "activation must be tanh, relu, gelu or sigmoid");
    }
    if (kind.equals("cnn") && (image == null || image.length != 3)) {
      throw TrainerFailure.invalid(field, source, "needs image=CxHxW: how the feature columns form an image (row-major)");
    }
    return new Builtin(kind, hidden, activation, image, channels);
  }

  private static int[] ints(String[] parts, String field, String source, String form) {
    try {
      int[] out = java.util.Arrays.stream(parts).mapToInt(x -> Integer.parseInt(x.trim())).toArray();
      for (int v : out) {
        if (v < 1) {
          throw new NumberFormatException();
        }
      }
      return out;
    } catch (NumberFormatException e) {
      throw TrainerFailure.invalid(field, source, "must use positive integers in " + form);
    }
  }

  public static DjlModel build(JobConfig.Model spec, int inputs, int outputs, long seed, Device device,
      Map<String, String> env) {
    switch (spec.format()) {
      case "builtin" -> {
        Builtin b = parseBuiltin(spec.source(), "spec.model.source");
        DjlModel m;
        try {
          m = b.build(inputs, outputs, device);
        } catch (IllegalArgumentException e) {
          throw TrainerFailure.invalid("spec.model.source", spec.source(), "does not fit spec.data.features: " + e.getMessage());
        }
        Initializers.linearDefault(m, seed);
        return m;
      }
      case "torchscript" -> {
        Path file = existing(spec.source(), env, "spec.model.source");
        try {
          return DjlModel.torchScript(file, inputs, device);
        } catch (IOException | MalformedModelException | RuntimeException e) {
          throw new TrainerFailure(Reason.InvalidSpec, "spec.model.source " + spec.source() + " is not a loadable TorchScript "
              + "module (" + e.getMessage() + "): save it with torch.jit.script or torch.jit.trace");
        }
      }
      case "djl" -> {
        Path file = existing(spec.source(), env, "spec.model.source");
        Path sidecar = file.toAbsolutePath().getParent().resolve(ARCHITECTURE_FILE);
        String architecture = spec.architecture();
        if (architecture == null) {
          try {
            architecture = Files.readString(sidecar).trim();
          } catch (IOException e) {
            throw new TrainerFailure(Reason.MissingFile, "spec.model.source " + spec.source() + " is DJL parameters, but "
                + sidecar + " (the builtin architecture they belong to, e.g. builtin:mlp?hidden=64,64) does not exist: "
                + "use the model/ directory a finished FineTuneJob wrote, or write that file");
          }
        }
        Builtin b = parseBuiltin(architecture, sidecar.toString());
        try {
          return DjlModel.fromSaved(file, b.build(inputs, outputs, device));
        } catch (IOException | MalformedModelException | RuntimeException e) {
          throw new TrainerFailure(Reason.InvalidSpec, "spec.model.source " + spec.source() + " does not hold DJL parameters for "
              + architecture + " with " + inputs + " inputs and " + outputs + " outputs (" + e.getMessage()
              + "): check spec.model.architecture and spec.data.features");
        }
      }
      default -> throw TrainerFailure.invalid("spec.model.format", spec.format(), "must be builtin, torchscript or djl");
    }
  }

  private static Path existing(String location, Map<String, String> env, String field) {
    try {
      return existing(Locations.resolve(location, env), field);
    } catch (TrainerFailure f) {
      throw Locations.onVolume(location) ? f : Locations.notOnVolume(f);
    }
  }

  private static Path existing(Path p, String field) {
    if (!Files.isRegularFile(p)) {
      throw new TrainerFailure(Reason.MissingFile, field + " file " + p + " does not exist: check the path (pvc://CLAIM/path "
          + "reads the volume of PVC CLAIM, relative paths resolve under the trainer's working directory)");
    }
    return p;
  }

  /**
   * Names the optimizer updates: all parameters when {@code patterns} is empty, else those matching any pattern
   * (Java regular expression, whole name).
   */
  public static List<String> trainable(List<String> names, List<String> patterns) {
    if (patterns.isEmpty()) {
      return names;
    }
    List<Pattern> compiled = compile(patterns, "spec.model.trainable");
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (compiled.stream().anyMatch(p -> p.matcher(n).matches())) {
        out.add(n);
      }
    }
    if (out.isEmpty()) {
      throw TrainerFailure.invalid("spec.model.trainable", patterns, "matches no parameter; the model has " + names);
    }
    return out;
  }

  /** Multiplier per trainable name: the first matching pattern of {@code learningRateMultipliers}, else 1. */
  public static Map<String, Double> multipliers(List<String> trainable, Map<String, Double> patterns) {
    Map<String, Double> out = new LinkedHashMap<>();
    List<Pattern> compiled = compile(new ArrayList<>(patterns.keySet()), "spec.model.learningRateMultipliers");
    List<Double> values = new ArrayList<>(patterns.values());
    boolean[] used = new boolean[compiled.size()];
    for (String n : trainable) {
      for (int i = 0; i < compiled.size(); i++) {
        if (compiled.get(i).matcher(n).matches()) {
          out.put(n, values.get(i));
          used[i] = true;
          break;
        }
      }
    }
    for (int i = 0; i < used.length; i++) {
      if (!used[i]) {
        throw TrainerFailure.invalid("spec.model.learningRateMultipliers", compiled.get(i).pattern(),
            "matches no trainable parameter; trainable are " + trainable);
      }
    }
    return out;
  }

  private static List<Pattern> compile(List<String> patterns, String field) {
    List<Pattern> out = new ArrayList<>();
    for (String p : patterns) {
      try {
        out.add(Pattern.compile(p));
      } catch (PatternSyntaxException e) {
        throw TrainerFailure.invalid(field, p, "must be a regular expression over parameter names, e.g. 2\\..*");
      }
    }
    return out;
  }
}
