package dev.annealer.trainer.hf.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes float32 tensors as one safetensors file, byte for byte what {@code safetensors.torch.save_file} writes for
 * float32 tensors: tensors sorted by name, a compact JSON header ({@code __metadata__} first, then
 * {@code {"dtype":"F32","shape":[..],"data_offsets":[b,e]}} per tensor) padded with spaces to a multiple of 8, its
 * length as 8 little-endian bytes in front, then the data in the same order.
 */
public final class SafetensorsWriter {
  private SafetensorsWriter() {}

  /** Metadata transformers writes ({@code save_pretrained}) and expects. */
  public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

  /**
   * Writes {@code tensors} (any float dtype, converted to float32) to {@code file}, replacing it, and forces it to disk.
   *
   * @param metadata {@code __metadata__}, or null for none
   */
  public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
    List<String> names = new ArrayList<>(tensors.keySet());
    names.sort(SafetensorsWriter::byUtf8);
    StringBuilder h = new StringBuilder("{");
    boolean first = true;
    if (metadata != null) {
      h.append("\"__metadata__\":{");
      List<String> keys = new ArrayList<>(metadata.keySet());
      keys.sort(SafetensorsWriter::byUtf8);
      for (int i = 0; i < keys.size(); i++) {
        h.append(i == 0 ? "" : ",").append(quote(keys.get(i))).append(':').append(quote(metadata.get(keys.get(i))));
      }
      h.append('}');
      first = false;
    }
    long offset = 0;
    for (String name : names) {
      NDArray t = tensors.get(name);
      long[] shape = t.getShape().getShape();
      long bytes = 4 * t.getShape().size();
      h.append(first ? "" : ",").append(quote(name)).append(":{\"dtype\":\"F32\",\"shape\":[");
      for (int i = 0; i < shape.length; i++) {
        h.append(i == 0 ? "" : ",").append(shape[i]);
      }
      h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
      offset += bytes;
      first = false;
    }
    h.append('}');
    byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - json.length % 8) % 8;
    ByteBuffer head = ByteBuffer.allocate(8 + json.length + pad).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(json.length + pad).put(json);
    for (int i = 0; i < pad; i++) {
      head.put((byte) ' ');
    }
    head.flip();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(ch, head);
      for (String name : names) {
        NDArray t = tensors.get(name);
        ByteBuffer data;
        if (t.getDataType() == DataType.FLOAT32) {
          data = t.toByteBuffer();
        } else {
          try (NDArray f = t.toType(DataType.FLOAT32, false)) {
            data = f.toByteBuffer();
          }
        }
        if (data.order() != ByteOrder.LITTLE_ENDIAN) {
          ByteBuffer le = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
          le.asFloatBuffer().put(data.order(ByteOrder.nativeOrder()).asFloatBuffer());
          data = le;
        }
        writeFully(ch, data);
      }
      ch.force(true);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** Rust's {@code String} order: by UTF-8 bytes. */
  static int byUtf8(String a, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] y = b.getBytes(StandardCharsets.UTF_8);
    return java.util.Arrays.compareUnsigned(x, y);
  }

  /** serde_json's string escaping: {@code "}, {@code \}, and control characters. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
