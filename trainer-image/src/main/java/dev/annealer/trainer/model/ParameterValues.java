package dev.annealer.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Writes Java values into a parameter tensor in place.
 *
 * <p>Why not {@code NDArray.set(FloatBuffer)}: DJL's PyTorch JNI ({@code torchSet}) runs it under
 * {@code at::AutoNonVariableTypeMode}, whose constructor makes libtorch print "AutoNonVariableTypeMode is deprecated
 * ..." on stderr once per process (that is the warning every trainer run printed; {@code TORCH_CPP_LOG_LEVEL} does not
 * silence a {@code TORCH_WARN_ONCE}). It also points the parameter's storage at a Java direct buffer instead of copying.
 * Here the values go into a temporary tensor and are copied into the parameter's own (libtorch-owned) memory with an
 * indexed put over the whole tensor, under no-grad (an in-place write to a leaf that requires a gradient is only
 * allowed there). The copy is exact: the parameter holds the very same float bits afterwards.
 */
public final class ParameterValues {
  /** Every element along the first axis (an empty index list is refused by {@code index_put_}). */
  private static final NDIndex ALL = new NDIndex(":");

  private ParameterValues() {
  }

  /** Copies {@code values} (row-major, as many as the parameter has elements) into {@code parameter}. */
  public static void write(NDArray parameter, float[] values) {
    if (values.length != parameter.size()) {
      throw new IllegalArgumentException("parameter " + parameter.getName() + " " + parameter.getShape() + " has "
          + parameter.size() + " values, got " + values.length);
    }
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager sub = parameter.getManager().newSubManager(parameter.getDevice())) {
      // a 0-d parameter is written through a 1-element view of the same storage
      NDArray target = parameter.getShape().dimension() == 0 ? parameter.reshape(1) : parameter;
      NDArray source = sub.create(values, target.getShape());
      target.set(ALL, source.getDataType() == target.getDataType() ? source
          : source.toType(target.getDataType(), false));
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /**
   * Copies little-endian float32 bytes (a checkpoint's mapped tensor, as many values as the parameter has) into
   * {@code parameter}, the same way as {@link #write(NDArray, float[])}: the parameter keeps its own memory.
   */
  public static void write(NDArray parameter, java.nio.ByteBuffer littleEndianFloats) {
    long n = littleEndianFloats.remaining() / Float.BYTES;
    if (n != parameter.size()) {
      throw new IllegalArgumentException("parameter " + parameter.getName() + " " + parameter.getShape() + " has "
          + parameter.size() + " values, got " + n);
    }
    // a direct, native-order copy: the temporary tensor may share its memory, and a read-only mapping must not be
    java.nio.ByteBuffer own = java.nio.ByteBuffer.allocateDirect(littleEndianFloats.remaining())
        .order(java.nio.ByteOrder.nativeOrder());
    own.put(littleEndianFloats.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN)).flip();
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager sub = parameter.getManager().newSubManager(parameter.getDevice())) {
      NDArray target = parameter.getShape().dimension() == 0 ? parameter.reshape(1) : parameter;
      NDArray source = sub.create(own.asFloatBuffer(), target.getShape(), ai.djl.ndarray.types.DataType.FLOAT32);
      target.set(ALL, source.getDataType() == target.getDataType() ? source
          : source.toType(target.getDataType(), false));
    } finally {
      JniUtils.setGradMode(grad);
    }
  }
}
