package dev.annealer.trainer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.trainer.hf.tools.RandomInit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Benchmark (not a test): process start → first resumed step of real trainer processes, for a ~1 GB checkpoint and
 * for the quickstart's 13 MB one, side by side in one run (rounds alternate between the two jobs).
 *
 * <ul>
 *   <li>{@code quickstart}: {@code examples/quickstart.yaml} (builtin MLP, AdamW: 13 MB checkpoint);</li>
 *   <li>{@code llama-84m}: a full fine-tune (no LoRA) with AdamW of {@code examples/models/llama-50m} made 26 layers
 *       deep (83.9M parameters, random weights from {@link RandomInit}, written once into the work directory):
 *       1.0 GB checkpoint; 1 record of up to 96 tokens per step (as the examples: shorter cuts completions off).</li>
 * </ul>
 * Each job first runs fresh until its first step and is SIGTERMed (it checkpoints and exits 75); then every round
 * starts the trainer on that checkpoint directory, records when it logs {@code event=resume} (checkpoint found,
 * verified, loaded) and its first {@code event=step}, and SIGTERMs it (it checkpoints again, so the next round resumes
 * too). {@code warm} rounds find the checkpoint in the page cache (a pod restarted on the same node); before a
 * {@code cold} round the checkpoint files and the model weights are dropped from the page cache
 * ({@code dd iflag=nocache count=0}, per file), as on a node that never read them.
 *
 * Medians over the rounds (times since process start).
 *
 * <p>Usage, from the repository root: {@code java -cp <test classpath> dev.annealer.trainer.bench.ResumeAtScaleBench
 * <work-dir> [rounds]} (default 3 rounds of warm + cold for each job). The trainers run with
 * {@code -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1}, as in {@link ResumeLatencyBench}.
 */
public final class ResumeAtScaleBench {
  private static final Pattern BYTES = Pattern.compile("event=checkpoint .* bytes=(\\d+)");

  record Job(String name, Path yaml, Path checkpoints, List<Path> weights) {}

  /** Seconds after process start: first log line ({@code event=start}), model built, checkpoint loaded, first step. */
  record Round(double started, double model, double resumed, double firstStep, int exit) {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args.length > 0 ? args[0] : "/tmp/annealer-resume-bench").toAbsolutePath();
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path root = Path.of("").toAbsolutePath();
    while (!Files.isRegularFile(root.resolve("examples/quickstart.yaml"))) {
      root = root.getParent();
      if (root == null) {
        throw new IllegalStateException("run from inside the repository (examples/quickstart.yaml not found above "
            + Path.of("").toAbsolutePath() + ")");
      }
    }
    Files.createDirectories(work);
    List<Job> jobs = List.of(quickstart(root, work), llama84m(root, work));
    Map<String, Long> sizes = new LinkedHashMap<>();
    for (Job j : jobs) {
      deleteTree(j.checkpoints());
      sizes.put(j.name(), seed(j));
    }
    Map<String, List<Round>> results = new LinkedHashMap<>();
    for (int r = 0; r < rounds; r++) {
      for (boolean cold : new boolean[] {false, true}) {
        for (Job j : jobs) {
          if (cold) {
            evict(j);
          }
          Round x = round(j);
          String key = j.name() + (cold ? " cold" : " warm");
          results.computeIfAbsent(key, k -> new ArrayList<>()).add(x);
          System.out.printf("round %d %-16s started %.2f s, model %.2f s, checkpoint loaded %.2f s, first resumed step "
              + "%.2f s (exit %d)%n", r, key, x.started(), x.model(), x.resumed(), x.firstStep(), x.exit());
        }
      }
    }
    System.out.println();
    System.out.println("| job | checkpoint | page cache | JVM up | model built | checkpoint loaded | first resumed step "
        + "| best | rounds |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    results.forEach((k, v) -> {
      String job = k.substring(0, k.indexOf(' '));
      List<Double> first = v.stream().map(Round::firstStep).toList();
      System.out.printf("| %s | %.0f MB | %s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %d |%n", job,
          sizes.get(job) / 1e6, k.substring(k.indexOf(' ') + 1), median(v.stream().map(Round::started).toList()),
          median(v.stream().map(Round::model).toList()), median(v.stream().map(Round::resumed).toList()),
          median(first), Collections.min(first), v.size());
    });
  }

  private static Job quickstart(Path root, Path work) throws IOException {
    String y = Files.readString(root.resolve("examples/quickstart.yaml"))
        .replace("maxSteps: 1725", "maxSteps: 100000")
        .replace("examples/data/", root.resolve("examples/data") + "/");
    Path yaml = work.resolve("quickstart.yaml");
    Files.writeString(yaml, y);
    return new Job("quickstart", yaml, work.resolve("ck-quickstart"), List.of());
  }

  private static Job llama84m(Path root, Path work) throws IOException {
    Path model = work.resolve("llama-84m");
    Files.createDirectories(model);
    ObjectMapper json = new ObjectMapper();
    ObjectNode cfg = (ObjectNode) json.readTree(root.resolve("examples/models/llama-50m/config.json").toFile());
    cfg.put("num_hidden_layers", 26);
    String cfgText = json.writerWithDefaultPrettyPrinter().writeValueAsString(cfg);
    Path weights = model.resolve("model.safetensors");
    if (!Files.isRegularFile(model.resolve("config.json")) || !Files.readString(model.resolve("config.json")).equals(cfgText)
        || !Files.isRegularFile(weights)) {
      Files.writeString(model.resolve("config.json"), cfgText);
      for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
        Files.copy(root.resolve("examples/models/support-base").resolve(f), model.resolve(f),
            StandardCopyOption.REPLACE_EXISTING);
      }
      long t0 = System.nanoTime();
      long n = RandomInit.write(model, 0);
      System.out.printf("llama-84m: %d parameters written in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
    }
    String y = String.join("\n",
        "apiVersion: annealer.dev/v1alpha1",
        "kind: FineTuneJob",
        "metadata: {name: llama-84m-full}",
        "spec:",
        "  model: {source: " + model + ", format: huggingface}",
        "  data:",
        "    train: " + root.resolve("examples/data/support-tickets-train.jsonl"),
        "    format: jsonl",
        "    task: causalLM",
        "    prompt: prompt",
        "    completion: completion",
        "    maxLength: 96",
        "  training: {maxSteps: 100000, batchSize: 1, seed: 7}",
        "  optimizer: {type: AdamW, learningRate: 1.0e-4, weightDecay: 0.0, gradientClipNorm: 1.0}",
        "  schedule:",
        "    type: CosineWarmRestarts",
        "    warmup: {steps: 5, startFactor: 0.1}",
        "    minLearningRate: 1.0e-5",
        "    period: {steps: 1000}",
        "  checkpoint: {everySteps: 100000, keepLast: 1}",
        "");
    Path yaml = work.resolve("llama-84m.yaml");
    Files.writeString(yaml, y);
    return new Job("llama-84m", yaml, work.resolve("ck-llama-84m"), List.of(weights));
  }

  /** A fresh run until its first step, SIGTERMed: leaves one checkpoint; returns its size in bytes. */
  private static long seed(Job j) throws Exception {
    List<String> out = new ArrayList<>();
    Round r = run(j, out);
    long bytes = out.stream().map(BYTES::matcher).filter(Matcher::find).mapToLong(m -> Long.parseLong(m.group(1)))
        .reduce((a, b) -> b).orElseThrow(() -> new IllegalStateException(j.name() + ": no checkpoint written:\n"
            + String.join("\n", out)));
    System.out.printf("%s: fresh run, first step after %.2f s, SIGTERM checkpoint of %d bytes (exit %d)%n", j.name(),
        r.firstStep(), bytes, r.exit());
    return bytes;
  }

  private static Round round(Job j) throws Exception {
    List<String> out = new ArrayList<>();
    Round r = run(j, out);
    if (r.resumed() < 0 || r.exit() != 75) {
      throw new IllegalStateException(j.name() + ": expected a resume and exit 75:\n" + String.join("\n", out));
    }
    return r;
  }

  private static Round run(Job j, List<String> out) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-cp", System.getProperty("java.class.path"),
        "dev.annealer.trainer.TrainerMain", "train", "-f", j.yaml().toString(), "--checkpoint-dir",
        j.checkpoints().toString(), "--log-every", "1", "--no-progress-bar"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    long t0 = System.nanoTime();
    Process p = pb.start();
    double started = -1;
    double model = -1;
    double resumed = -1;
    double firstStep = -1;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      String line;
      while ((line = in.readLine()) != null) {
        double t = (System.nanoTime() - t0) / 1e9;
        out.add(line);
        if (started < 0 && line.contains("event=start")) {
          started = t;
        }
        if (model < 0 && line.contains("event=model")) {
          model = t;
        }
        if (resumed < 0 && line.contains("event=resume")) {
          resumed = t;
        }
        if (firstStep < 0 && line.contains("event=step ")) {
          firstStep = t;
          p.toHandle().destroy(); // SIGTERM: checkpoints this step, so the next round resumes again
        }
      }
    }
    return new Round(started, model, resumed, firstStep, p.waitFor());
  }

  /** Drops the job's checkpoint files and model weights from the page cache (clean pages: they were fsynced). */
  private static void evict(Job j) throws Exception {
    List<Path> files = new ArrayList<>(j.weights());
    try (Stream<Path> s = Files.walk(j.checkpoints())) {
      s.filter(Files::isRegularFile).forEach(files::add);
    }
    for (Path f : files) {
      Process p = new ProcessBuilder("dd", "if=" + f, "iflag=nocache", "count=0", "status=none")
          .redirectErrorStream(true).start();
      String said = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IllegalStateException("dd iflag=nocache " + f + ": " + said);
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
