package dev.annealer.trainer.trainee;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.annealer.trainer.checkpoint.TensorFile;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.data.TextRecord;
import dev.annealer.trainer.hf.LanguageModel;
import dev.annealer.trainer.hf.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny stand-in for the HF model families: a bigram language model ({@code logits[t] = W[ids[t]] + b}) or, for
 * classification, a bag-of-tokens classifier ({@code logits = mean_t W[ids[t]] · C}), over a character tokenizer
 * (id = 2 + char mod (V − 2), pad 0, eos 1). Real autograd in libtorch; exports its parameters as a
 * {@link TensorFile} and loads them back from {@code model.bin} when the source directory has one.
 */
final class FakeLanguageModel implements LanguageModel {
  static final int VOCAB = 32;
  final NDManager manager;
  final LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
  final int classes;

  FakeLanguageModel(Path dir, int classes, long seed, Device device) throws IOException {
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.classes = classes;
    Map<String, float[]> saved = Files.exists(dir.resolve("model.bin")) ? TensorFile.read(dir.resolve("model.bin")) : Map.of();
    put("embed.weight", new Shape(VOCAB, VOCAB), saved, seed);
    put("embed.bias", new Shape(VOCAB), saved, seed + 1);
    if (classes > 0) {
      put("score.weight", new Shape(VOCAB, classes), saved, seed + 2);
    }
  }

  private void put(String name, Shape shape, Map<String, float[]> saved, long seed) {
    float[] v = saved.get(name);
    if (v == null) {
      SplittableRandom r = new SplittableRandom(seed);
      v = new float[(int) shape.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) ((r.nextDouble() - 0.5) * 0.2);
      }
    }
    NDArray a = manager.create(v, shape);
    a.setRequiresGradient(true);
    params.put(name, a);
  }

  @Override
  public String family() {
    return "fake";
  }

  @Override
  public LinkedHashMap<String, NDArray> trainableParameters() {
    return params;
  }

  private NDArray tokenLogits(TokenBatch b) {
    NDArray oneHot = b.inputIds().oneHot(VOCAB); // [B, T, V]
    return oneHot.matMul(params.get("embed.weight")).add(params.get("embed.bias"));
  }

  @Override
  public NDArray logits(TokenBatch b) {
    NDArray h = tokenLogits(b);
    if (classes == 0) {
      return h;
    }
    NDArray mask = b.attentionMask().toType(DataType.FLOAT32, false).expandDims(2);
    NDArray pooled = h.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}));
    return pooled.matMul(params.get("score.weight"));
  }

  @Override
  public NDArray loss(TokenBatch b) {
    NDArray logits = logits(b);
    if (classes > 0) {
      NDArray logp = logits.logSoftmax(1);
      return logp.mul(b.labels().oneHot(classes)).sum(new int[] {1}).mean().neg();
    }
    NDArray logp = logits.get(new NDIndex(":, :-1")).logSoftmax(2);
    NDArray target = b.labels().get(new NDIndex(":, 1:"));
    NDArray valid = target.neq(-100).toType(DataType.FLOAT32, false);
    NDArray picked = logp.mul(target.maximum(0).oneHot(VOCAB)).sum(new int[] {2});
    return picked.mul(valid).sum().div(valid.sum()).neg();
  }

  @Override
  public void export(Path dir, boolean exportMerged) throws IOException {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    TensorFile.write(dir.resolve("model.bin"), out);
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"fake\"}\n");
  }

  @Override
  public void close() {
    manager.close();
  }

  /** Character tokens as the conformance convention lays a record out (prompt + completion + eos, labels -100 on the prompt). */
  static TextBatcher batcher(JobConfig cfg) {
    int maxLength = cfg.data().maxLength() == null ? 64 : cfg.data().maxLength();
    boolean classification = cfg.data().task().equals("classification");
    return (records, manager) -> {
      List<long[]> ids = new ArrayList<>();
      List<long[]> labels = new ArrayList<>();
      int t = 0;
      for (TextRecord r : records) {
        String prompt = r.text() != null ? r.text() : r.prompt();
        String completion = r.text() != null ? "" : r.completion();
        int n = Math.min(maxLength, prompt.length() + completion.length() + 1);
        long[] x = new long[n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
          boolean eos = i == prompt.length() + completion.length();
          char c = eos ? 0 : i < prompt.length() ? prompt.charAt(i) : completion.charAt(i - prompt.length());
          x[i] = eos ? 1 : 2 + c % (VOCAB - 2);
          y[i] = r.text() == null && i < prompt.length() ? -100 : x[i];
        }
        ids.add(x);
        labels.add(y);
        t = Math.max(t, n);
      }
      int b = records.size();
      long[] flatIds = new long[b * t];
      long[] flatMask = new long[b * t];
      long[] flatLabels = new long[b * t];
      java.util.Arrays.fill(flatLabels, -100);
      for (int i = 0; i < b; i++) {
        long[] x = ids.get(i);
        for (int j = 0; j < x.length; j++) {
          flatIds[i * t + j] = x[j];
          flatMask[i * t + j] = 1;
          flatLabels[i * t + j] = labels.get(i)[j];
        }
      }
      NDArray label = classification
          ? manager.create(records.stream().mapToLong(r -> (long) r.label()).toArray())
          : manager.create(flatLabels, new Shape(b, t));
      return new TokenBatch(manager.create(flatIds, new Shape(b, t)), manager.create(flatMask, new Shape(b, t)), label, b);
    };
  }

  /** The backend the tests plug into {@link Trainees#byFormat}. */
  static HfBackend backend() {
    return new HfBackend() {
      @Override
      public LanguageModel load(Path modelDir, Path loraInit, JobConfig cfg, Device device,
          java.util.function.Consumer<String> log) {
        try {
          return new FakeLanguageModel(modelDir, cfg.data().task().equals("classification") ? 3 : 0, cfg.training().seed(),
              device);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }

      @Override
      public TextBatcher batcher(Path modelDir, JobConfig cfg, LanguageModel model) {
        return FakeLanguageModel.batcher(cfg);
      }
    };
  }
}
