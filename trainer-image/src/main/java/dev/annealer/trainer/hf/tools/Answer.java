package dev.annealer.trainer.hf.tools;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.hf.HfLoadOptions;
import dev.annealer.trainer.hf.HfModels;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.lora.PeftAdapterConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints a causal LM's greedy answer to prompts of a JSONL file ({@code {"prompt": ..., "completion": ...}}), for one
 * or more models side by side: what the flagship demo shows before and after fine-tuning.
 *
 * <pre>
 * java -cp "cli/target/annealer-cli.jar:cli/target/lib/*" dev.annealer.trainer.hf.tools.Answer \
 *     --tickets examples/data/support-tickets-heldout.jsonl --first 2 \
 *     --model before=examples/models/support-base --model after=/tmp/support/final
 * </pre>
 *
 * A model is an HF model directory, or a PEFT adapter directory ({@code adapter_config.json}): then the adapter is
 * applied to {@code --base DIR} (default: the adapter's {@code base_model_name_or_path}). Greedy decoding stops at the
 * eos token or after {@code --max-new-tokens} (default 80).
 */
public final class Answer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Answer() {}

  public static void main(String[] args) throws IOException {
    dev.annealer.trainer.TrainCommand.cpuThreadDefaults(System.getenv("ANNEALER_CPU_THREADS"));
    Map<String, Path> models = new LinkedHashMap<>();
    Path tickets = null;
    Path base = null;
    int first = Integer.MAX_VALUE;
    int maxNew = 80;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null) {
        usage("option " + a + " needs a value");
      }
      switch (a) {
        case "--model" -> {
          int eq = v.indexOf('=');
          models.put(eq > 0 ? v.substring(0, eq) : "model" + (models.size() + 1), Path.of(v.substring(eq + 1)));
        }
        case "--tickets" -> tickets = Path.of(v);
        case "--base" -> base = Path.of(v);
        case "--first" -> first = Integer.parseInt(v);
        case "--max-new-tokens" -> maxNew = Integer.parseInt(v);
        default -> usage("unknown option " + a);
      }
      i++;
    }
    if (models.isEmpty() || tickets == null) {
      usage("--model and --tickets are required");
    }
    List<String[]> records = read(tickets, first);
    Map<String, List<String>> answers = new LinkedHashMap<>();
    for (Map.Entry<String, Path> m : models.entrySet()) {
      answers.put(m.getKey(), answers(m.getValue(), base, records, maxNew));
    }
    print(records, answers, System.out);
  }

  /** Greedy answers of the model at {@code dir} (an HF model or a PEFT adapter on {@code base}) to each prompt. */
  public static List<String> answers(Path dir, Path base, List<String[]> records, int maxNew) throws IOException {
    HfLoadOptions opts = HfLoadOptions.causalLM(0);
    Path modelDir = dir;
    if (Files.isRegularFile(dir.resolve("adapter_config.json"))) {
      Path b = base;
      if (b == null) {
        JsonNode cfg = JSON.readTree(dir.resolve("adapter_config.json").toFile());
        b = Path.of(cfg.path("base_model_name_or_path").asText());
      }
      modelDir = b;
      opts = opts.withLora(PeftAdapterConfig.read(dir).toSpec(), dir);
    }
    List<String> out = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager();
        HfModel model = HfModels.load(modelDir, opts, manager);
        TextEncoder enc = HfModels.encoder(modelDir, opts, 1024)) {
      long eos = enc.special().requireEos(modelDir);
      for (String[] r : records) {
        long[] ids = model.generateGreedy(enc.encode(r[0], true), maxNew, eos);
        out.add(enc.decode(ids, true));
      }
    }
    return out;
  }

  /** The prompt and expected completion of the first {@code first} records. */
  public static List<String[]> read(Path file, int first) throws IOException {
    List<String[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank() || out.size() >= first) {
        continue;
      }
      JsonNode n = JSON.readTree(line);
      if (!n.hasNonNull("prompt")) {
        throw new IllegalArgumentException(file + ": a record has no \"prompt\": " + line);
      }
      out.add(new String[] {n.get("prompt").asText(), n.path("completion").asText("")});
    }
    return out;
  }

  static void print(List<String[]> records, Map<String, List<String>> answers, PrintStream out) {
    int width = answers.keySet().stream().mapToInt(String::length).max().orElse(0);
    width = Math.max(width, "expected".length());
    for (int i = 0; i < records.size(); i++) {
      out.println("ticket:   " + records.get(i)[0].replace("\n", " | "));
      for (Map.Entry<String, List<String>> a : answers.entrySet()) {
        out.println(pad(a.getKey(), width) + ": " + a.getValue().get(i).strip());
      }
      if (!records.get(i)[1].isEmpty()) {
        out.println(pad("expected", width) + ": " + records.get(i)[1].strip());
      }
      out.println();
    }
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(width - s.length());
  }

  private static void usage(String why) {
    System.err.println("Answer: " + why);
    System.err.println("usage: Answer --tickets FILE.jsonl [--first N] [--max-new-tokens N] [--base DIR] "
        + "--model [LABEL=]DIR [--model [LABEL=]DIR ...]");
    System.exit(2);
  }
}
