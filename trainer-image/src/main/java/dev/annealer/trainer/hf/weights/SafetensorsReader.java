package dev.annealer.trainer.hf.weights;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.TrainerFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads safetensors files: one file, or the shards listed by {@code model.safetensors.index.json}. Tensors stored as
 * F32, BF16, F16 or F64 come back as float32 NDArrays owning their memory (the file is memory-mapped only while a
 * tensor is copied out). The format: 8-byte little-endian header length N, N bytes of JSON
 * ({@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}), then the data; offsets are
 * relative to the end of the header.
 */
public final class SafetensorsReader implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** safetensors itself refuses headers over 100 MB. */
  private static final long MAX_HEADER = 100L << 20;

  /** Where one tensor lives. */
  public record Entry(String name, Path file, String dtype, long[] shape, long begin, long end, long dataStart) {
    public long elements() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;
  private final Map<Path, FileChannel> channels = new LinkedHashMap<>();

  private SafetensorsReader(Map<String, Entry> entries, Map<String, String> metadata) {
    this.entries = entries;
    this.metadata = metadata;
  }

  /**
   * Opens {@code path}: a {@code .safetensors} file, or a model directory holding {@code model.safetensors.index.json}
   * (sharded) or {@code model.safetensors}.
   */
  public static SafetensorsReader open(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      Path index = path.resolve("model.safetensors.index.json");
      if (Files.exists(index)) {
        return openIndex(index);
      }
      Path single = path.resolve("model.safetensors");
      if (!Files.exists(single)) {
        throw new TrainerFailure(TrainerFailure.Reason.MissingFile, "spec.model.source " + path
            + " has no model.safetensors nor model.safetensors.index.json (only safetensors weights are read;"
            + " convert pytorch_model.bin with save_pretrained(safe_serialization=True))");
      }
      path = single;
    }
    Map<String, String> meta = new LinkedHashMap<>();
    Map<String, Entry> entries = new TreeMap<>();
    readHeader(path, entries, meta);
    return new SafetensorsReader(Collections.unmodifiableMap(entries), meta);
  }

  private static SafetensorsReader openIndex(Path index) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(index));
    } catch (IOException e) {
      throw corrupt(index, "not valid JSON: " + e.getMessage());
    }
    JsonNode map = root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw corrupt(index, "has no weight_map object");
    }
    Map<String, Entry> all = new TreeMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    Map<String, Map<String, Entry>> byShard = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String shard = e.getValue().asText();
      if (shard.contains("/") || shard.contains("\\")) {
        throw corrupt(index, "names a shard outside the directory: " + shard);
      }
      Map<String, Entry> shardEntries = byShard.get(shard);
      if (shardEntries == null) {
        shardEntries = new TreeMap<>();
        Path file = index.resolveSibling(shard);
        if (!Files.exists(file)) {
          throw new TrainerFailure(TrainerFailure.Reason.MissingFile,
              index + " lists shard " + shard + ", which does not exist");
        }
        readHeader(file, shardEntries, meta);
        byShard.put(shard, shardEntries);
      }
      Entry entry = shardEntries.get(e.getKey());
      if (entry == null) {
        throw corrupt(index, "maps " + e.getKey() + " to " + shard + ", which does not hold it");
      }
      all.put(e.getKey(), entry);
    }
    return new SafetensorsReader(Collections.unmodifiableMap(all), meta);
  }

  private static void readHeader(Path file, Map<String, Entry> out, Map<String, String> meta) throws IOException {
    long size;
    JsonNode header;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      size = ch.size();
      if (size < 8) {
        throw corrupt(file, "is truncated: " + size + " bytes, shorter than the 8-byte header length");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0, file);
      long n = len.flip().getLong();
      if (n <= 0 || n > MAX_HEADER || n > size - 8) {
        throw corrupt(file, "is truncated or has a corrupt header: header length " + n + " for a file of " + size + " bytes");
      }
      ByteBuffer h = ByteBuffer.allocate((int) n);
      readFully(ch, h, 8, file);
      try {
        header = JSON.readTree(new String(h.array(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw corrupt(file, "has a corrupt header (not JSON): " + e.getMessage());
      }
      if (header == null || !header.isObject()) {
        throw corrupt(file, "has a corrupt header (not a JSON object)");
      }
      long dataStart = 8 + n;
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
          continue;
        }
        JsonNode t = e.getValue();
        JsonNode shapeNode = t.get("shape");
        JsonNode offsets = t.get("data_offsets");
        if (t.get("dtype") == null || shapeNode == null || !shapeNode.isArray() || offsets == null
            || !offsets.isArray() || offsets.size() != 2) {
          throw corrupt(file, "has a corrupt header entry for " + e.getKey() + ": " + t);
        }
        String dtype = t.get("dtype").asText();
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shapeNode.get(i).asLong();
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        Entry entry = new Entry(e.getKey(), file, dtype, shape, begin, end, dataStart);
        int width = width(dtype);
        if (begin < 0 || end < begin || dataStart + end > size) {
          throw corrupt(file, "is truncated or corrupt: " + e.getKey() + " spans bytes [" + begin + ", " + end
              + ") of the data, which holds " + (size - dataStart) + " bytes");
        }
        if (width > 0 && entry.elements() * width != end - begin) {
          throw corrupt(file, "has a corrupt header entry for " + e.getKey() + ": shape "
              + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + entry.elements() * width
              + " bytes, data_offsets give " + (end - begin));
        }
        out.put(e.getKey(), entry);
      }
    } catch (NoSuchFileException e) {
      throw new TrainerFailure(TrainerFailure.Reason.MissingFile, file + " does not exist");
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path file) throws IOException {
    while (b.hasRemaining()) {
      int r = ch.read(b, pos);
      if (r < 0) {
        throw corrupt(file, "is truncated: the header runs past the end of the file");
      }
      pos += r;
    }
  }

  private static TrainerFailure corrupt(Path file, String what) {
    return new TrainerFailure(TrainerFailure.Reason.InvalidSpec, "safetensors file " + file + " " + what);
  }

  /** Bytes per element, 0 for dtypes this reader does not convert. */
  private static int width(String dtype) {
    return switch (dtype) {
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      case "F64" -> 8;
      default -> 0;
    };
  }

  public Set<String> names() {
    return entries.keySet();
  }

  public Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException("no tensor " + name);
    }
    return e;
  }

  /** The {@code __metadata__} of the file (of all shards, merged). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Loads one tensor as float32 on {@code device}, attached to {@code manager}. */
  public NDArray load(String name, NDManager manager, Device device) throws IOException {
    Entry e = entry(name);
    DataType type = switch (e.dtype) {
      case "F32" -> DataType.FLOAT32;
      case "F16" -> DataType.FLOAT16;
      case "BF16" -> DataType.BFLOAT16;
      case "F64" -> DataType.FLOAT64;
      default -> throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, "safetensors file " + e.file
          + ": tensor " + name + " has dtype " + e.dtype + "; supported: F32, BF16, F16, F64");
    };
    long bytes = e.end - e.begin;
    if (bytes > Integer.MAX_VALUE) {
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, "safetensors file " + e.file + ": tensor " + name
          + " is " + bytes + " bytes; tensors over 2 GiB are not supported");
    }
    Shape shape = new Shape(e.shape);
    if (bytes == 0) {
      return manager.zeros(shape, DataType.FLOAT32, device);
    }
    FileChannel ch = channels.get(e.file);
    if (ch == null) {
      ch = FileChannel.open(e.file, StandardOpenOption.READ);
      channels.put(e.file, ch);
    }
    MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, e.dataStart + e.begin, bytes);
    mapped.order(ByteOrder.LITTLE_ENDIAN);
    NDArray out;
    if (type == DataType.FLOAT32 || type == DataType.FLOAT64) {
      try (NDManager scratch = manager.newSubManager(Device.cpu())) {
        // the view over the mapping lives only inside this scope; duplicate/toType copy into torch-owned memory
        NDArray view = scratch.create(mapped, shape, type);
        NDArray owned = type == DataType.FLOAT32 ? view.duplicate() : view.toType(DataType.FLOAT32, false);
        out = device.equals(owned.getDevice()) ? owned : owned.toDevice(device, true);
        out.attach(manager);
      }
    } else {
      // 16-bit floats widen exactly to float32; done here (once, at load) since libtorch's half types do not cross
      // DJL's buffer constructor reliably
      int n = (int) (bytes / 2);
      float[] values = new float[n];
      java.nio.ShortBuffer in = mapped.asShortBuffer();
      if (type == DataType.BFLOAT16) {
        for (int i = 0; i < n; i++) {
          values[i] = Float.intBitsToFloat((in.get(i) & 0xffff) << 16);
        }
      } else {
        for (int i = 0; i < n; i++) {
          values[i] = halfToFloat(in.get(i));
        }
      }
      out = dev.annealer.trainer.hf.ops.Scalars.ownedCopy(manager.create(values, shape));
      if (!device.equals(out.getDevice())) {
        NDArray moved = out.toDevice(device, true);
        out.close();
        out = moved;
      }
    }
    return out;
  }

  /** IEEE binary16 to binary32, exact (normals, subnormals, infinities, NaN). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant * 0x1p-24f; // subnormal: mant * 2^-24, exact in float32
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  @Override
  public void close() throws IOException {
    for (FileChannel ch : channels.values()) {
      ch.close();
    }
    channels.clear();
  }
}
