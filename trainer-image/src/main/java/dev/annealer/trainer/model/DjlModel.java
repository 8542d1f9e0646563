package dev.annealer.trainer.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.engine.Engine;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A DJL block on the PyTorch engine: forward and backward run in libtorch (the same kernels as PyTorch), while the
 * float32 master copy of the parameters lives in the training loop. Parameter names follow PyTorch's
 * {@code nn.Sequential} convention: {@code <child index>.<weight|bias>}.
 */
public final class DjlModel implements TrainableModel {
  private final NDManager manager;
  private final Model djlModel;
  private final Block block;
  private final ParameterStore store;
  private final Map<String, Parameter> params;
  private final int inputSize;

  private DjlModel(NDManager manager, Model djlModel, Block block, Map<String, Parameter> params, int inputSize) {
    this.manager = manager;
    this.djlModel = djlModel;
    this.block = block;
    this.store = new ParameterStore(manager, false);
    this.params = params;
    this.inputSize = inputSize;
  }

  /**
   * Builtin small CNN for inputs that are images flattened row-major into the feature columns:
   * {@code reshape [B, C·H·W] → [B, C, H, W] → (Conv 3×3 pad 1 → ReLU → MaxPool 2×2)* → flatten → (Linear → ReLU)* →
   * Linear(outputs)}. No batch norm, so the parameters are the whole state.
   */
  public static DjlModel cnn(int inputs, int channels, int height, int width, int[] filters, int[] hidden, int outputs,
      Device device) {
    if ((long) channels * height * width != inputs) {
      throw new IllegalArgumentException("image " + channels + "x" + height + "x" + width + " needs " + (channels * height * width)
          + " features, the data has " + inputs);
    }
    SequentialBlock seq = new SequentialBlock();
    seq.add(list -> new NDList(list.singletonOrThrow().reshape(-1, channels, height, width)));
    for (int f : filters) {
      seq.add(ai.djl.nn.convolutional.Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
          .setFilters(f).build());
      seq.add(Activation::relu);
      seq.add(ai.djl.nn.pooling.Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
    }
    seq.add(ai.djl.nn.Blocks.batchFlattenBlock());
    for (int h : hidden) {
      seq.add(Linear.builder().setUnits(h).build());
      seq.add(Activation::relu);
    }
    seq.add(Linear.builder().setUnits(outputs).build());
    return sequential(seq, inputs, device);
  }

  /** Names a top-level sequential block's parameters {@code <child index>.<name>} and makes them trainable. */
  private static DjlModel sequential(SequentialBlock seq, int inputs, Device device) {
    NDManager manager = NDManager.newBaseManager(device, "PyTorch");
    seq.initialize(manager, DataType.FLOAT32, new Shape(1, inputs));
    Map<String, Parameter> named = new LinkedHashMap<>();
    int index = 0;
    for (Pair<String, Block> child : seq.getChildren()) {
      for (Pair<String, Parameter> p : child.getValue().getDirectParameters()) {
        named.put(index + "." + p.getValue().getName(), p.getValue());
      }
      index++;
    }
    for (Parameter p : named.values()) {
      p.getArray().setRequiresGradient(true);
    }
    return new DjlModel(manager, null, seq, named, inputs);
  }

  /**
   * Builtin multi-layer perceptron {@code Linear(in→h1) → act → … → Linear(→out)}; parameters are initialized by
   * the caller (see {@link Initializers}).
   */
  public static DjlModel mlp(int inputs, int[] hidden, int outputs, String activation, Device device) {
    UnaryOperator<NDList> act = switch (activation) {
      case "tanh" -> Activation::tanh;
      case "relu" -> Activation::relu;
      case "gelu" -> Activation::gelu;
      case "sigmoid" -> Activation::sigmoid;
      default -> throw new IllegalArgumentException("spec.model.source activation must be one of tanh, relu, gelu, sigmoid (got "
          + activation + ")");
    };
    SequentialBlock seq = new SequentialBlock();
    for (int h : hidden) {
      seq.add(Linear.builder().setUnits(h).build());
      seq.add(act);
    }
    seq.add(Linear.builder().setUnits(outputs).build());
    return sequential(seq, inputs, device);
  }

  /**
   * The builtin MLP with parameters saved by DJL ({@code Model.save}: a {@code <name>-NNNN.params} file) for the
   * same architecture: pretrained weights to fine-tune.
   */
  public static DjlModel mlpFromSaved(Path paramsFile, int inputs, int[] hidden, int outputs, String activation,
      Device device) throws IOException, MalformedModelException {
    return fromSaved(paramsFile, mlp(inputs, hidden, outputs, activation, device));
  }

  /** Loads DJL-saved parameters ({@code Model.save}) into a freshly built builtin model of the same architecture. */
  public static DjlModel fromSaved(Path paramsFile, DjlModel fresh) throws IOException, MalformedModelException {
    Device device = fresh.manager.getDevice();
    Model model = Model.newInstance("pretrained", device, "PyTorch");
    model.setBlock(fresh.block);
    String file = paramsFile.getFileName().toString();
    String prefix = file.replaceFirst("-\\d{4}\\.params$", "").replaceFirst("\\.params$", "");
    model.load(paramsFile.toAbsolutePath().getParent(), prefix);
    for (Parameter p : fresh.params.values()) {
      p.getArray().setRequiresGradient(true);
    }
    return new DjlModel(fresh.manager, model, fresh.block, fresh.params, fresh.inputSize);
  }

  /**
   * A TorchScript module loaded for training ({@code trainParam=true}, without which libtorch hands out inference
   * tensors that refuse gradients). Names are the module's own ({@code 0.weight}, ...).
   */
  public static DjlModel torchScript(Path file, int inputs, Device device) throws IOException, MalformedModelException {
    Model model = Model.newInstance(file.getFileName().toString(), device, "PyTorch");
    String fileName = file.getFileName().toString();
    model.load(file.toAbsolutePath().getParent(), fileName.endsWith(".pt") ? fileName.substring(0, fileName.length() - 3) : fileName,
        Map.of("trainParam", "true"));
    Block block = model.getBlock();
    Map<String, Parameter> named = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      named.put(p.getKey(), p.getValue());
    }
    for (Parameter p : named.values()) {
      p.getArray().setRequiresGradient(true);
    }
    return new DjlModel(model.getNDManager(), model, block, named, inputs);
  }

  /**
   * Saves the current parameters with DJL's {@code Model.save} as {@code <dir>/<name>-0000.params} (builtin
   * architectures; the {@code djl} model source reads them back).
   */
  public Path saveDjl(Path dir, String name) throws IOException {
    java.nio.file.Files.createDirectories(dir);
    try (Model model = Model.newInstance(name, manager.getDevice(), "PyTorch")) {
      model.setBlock(block);
      model.save(dir, name);
    }
    return dir.resolve(name + "-0000.params");
  }

  /** Stops gradients for a frozen parameter (saves the backward work for it). */
  public void freeze(String name) {
    params.get(name).getArray().setRequiresGradient(false);
  }

  @Override
  public List<String> parameterNames() {
    return new ArrayList<>(params.keySet());
  }

  @Override
  public long[] shape(String name) {
    return params.get(name).getArray().getShape().getShape();
  }

  @Override
  public float[] read(String name) {
    return params.get(name).getArray().toFloatArray();
  }

  @Override
  public void write(String name, float[] values) {
    ParameterValues.write(params.get(name).getArray(), values);
  }

  @Override
  public int inputSize() {
    return inputSize;
  }

  @Override
  public double forwardBackward(float[] features, float[] labels, int batch, Task task, double lossScale,
      Map<String, float[]> gradAccumulator) {
    try (NDManager sub = manager.newSubManager();
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray loss = lossOf(sub, features, labels, batch, task, true);
      double value = loss.getFloat();
      // a torch-owned scale tensor: autograd keeps a pointer to it for backward, and the scalar of mul(Number) lives in a
      // Java buffer released right after the op (freed by a GC before backward = garbage gradients)
      collector.backward(lossScale == 1.0 ? loss : loss.mul(sub.full(new Shape(), (float) lossScale)));
      for (Map.Entry<String, float[]> e : gradAccumulator.entrySet()) {
        NDArray array = params.get(e.getKey()).getArray();
        float[] acc = e.getValue();
        try (NDArray grad = array.getGradient()) {
          float[] g = grad.toFloatArray();
          for (int i = 0; i < acc.length; i++) {
            acc[i] += g[i];
          }
        }
        JniUtils.zeroGrad((PtNDArray) array);
      }
      return value;
    }
  }

  @Override
  public double loss(float[] features, float[] labels, int batch, Task task) {
    try (NDManager sub = manager.newSubManager()) {
      return lossOf(sub, features, labels, batch, task, false).getFloat();
    }
  }

  private NDArray lossOf(NDManager sub, float[] features, float[] labels, int batch, Task task, boolean training) {
    NDArray x = sub.create(features, new Shape(batch, inputSize));
    NDArray out = block.forward(store, new NDList(x), training).singletonOrThrow();
    if (task == Task.REGRESSION) {
      NDArray y = sub.create(labels, new Shape(batch, 1));
      return out.sub(y).square().mean();
    }
    int classes = (int) out.getShape().get(1);
    int[] idx = new int[batch];
    for (int i = 0; i < batch; i++) {
      idx[i] = (int) labels[i];
    }
    NDArray oneHot = sub.create(idx).oneHot(classes);
    return out.logSoftmax(1).mul(oneHot).sum(new int[] {1}).mean().neg();
  }

  @Override
  public String device() {
    return manager.getDevice().toString();
  }

  @Override
  public void close() {
    if (djlModel != null) {
      djlModel.close();
    }
    manager.close();
  }
}
