package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import dev.annealer.trainer.hf.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir
  Path tmp;

  static Path llamaWeights() throws IOException {
    return new HfCase("llama-full").model().resolve("model.safetensors");
  }

  static LinkedHashMap<String, NDArray> readAll(Path path, NDManager m) throws IOException {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    try (SafetensorsReader r = SafetensorsReader.open(path)) {
      for (String n : r.names()) {
        out.put(n, r.load(n, m, Device.cpu()));
      }
    }
    return out;
  }

  @Test
  void readThenWriteIsByteIdenticalToWhatSafetensorsWrote() throws Exception {
    Path src = llamaWeights();
    try (NDManager m = NDManager.newBaseManager()) {
      LinkedHashMap<String, NDArray> all = readAll(src, m);
      assertThat(all).hasSize(21);
      assertThat(all.get("model.layers.0.self_attn.k_proj.weight").getShape().getShape()).containsExactly(32, 64);
      try (SafetensorsReader r = SafetensorsReader.open(src)) {
        assertThat(r.metadata()).containsEntry("format", "pt");
      }
      Path out = tmp.resolve("out.safetensors");
      SafetensorsWriter.write(out, all, SafetensorsWriter.PT_METADATA);
      assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(src));
    }
  }

  @Test
  void shardedCheckpointsReadThroughTheIndex() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      LinkedHashMap<String, NDArray> all = readAll(llamaWeights(), m);
      Map<String, NDArray> a = new LinkedHashMap<>();
      Map<String, NDArray> b = new LinkedHashMap<>();
      StringBuilder index = new StringBuilder("{\"metadata\": {\"total_size\": 1}, \"weight_map\": {");
      int i = 0;
      for (Map.Entry<String, NDArray> e : all.entrySet()) {
        String shard = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        (i % 2 == 0 ? a : b).put(e.getKey(), e.getValue());
        index.append(i == 0 ? "" : ",").append('"').append(e.getKey()).append("\": \"").append(shard).append('"');
        i++;
      }
      index.append("}}");
      SafetensorsWriter.write(tmp.resolve("model-00001-of-00002.safetensors"), a, SafetensorsWriter.PT_METADATA);
      SafetensorsWriter.write(tmp.resolve("model-00002-of-00002.safetensors"), b, SafetensorsWriter.PT_METADATA);
      Files.writeString(tmp.resolve("model.safetensors.index.json"), index);
      LinkedHashMap<String, NDArray> sharded = readAll(tmp, m);
      assertThat(sharded.keySet()).containsExactlyInAnyOrderElementsOf(all.keySet());
      for (String n : all.keySet()) {
        assertThat(sharded.get(n).contentEquals(all.get(n))).as(n).isTrue();
      }
    }
  }

  /** A file with the given dtype and raw little-endian payload. */
  private Path rawFile(String dtype, long[] shape, byte[] data) throws IOException {
    String header = "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":" + java.util.Arrays.toString(shape)
        .replace(" ", "") + ",\"data_offsets\":[0," + data.length + "]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h).put(data);
    Path p = tmp.resolve(dtype + ".safetensors");
    Files.write(p, buf.array());
    return p;
  }

  @Test
  void halfPrecisionBecomesFloat32() throws Exception {
    float[] want = {1.0f, -2.5f, 0.15625f, 65504f};
    ByteBuffer bf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : want) {
      bf.putShort((short) (Float.floatToIntBits(f) >>> 16)); // exact in bf16 except 65504 -> 65280
    }
    ByteBuffer f16 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (short s : new short[] {0x3C00, (short) 0xC100, 0x3100, 0x7BFF}) {
      f16.putShort(s);
    }
    try (NDManager m = NDManager.newBaseManager()) {
      Path p = rawFile("BF16", new long[] {2, 2}, bf.array());
      try (SafetensorsReader r = SafetensorsReader.open(p)) {
        NDArray t = r.load("t", m, Device.cpu());
        assertThat(t.getDataType()).isEqualTo(ai.djl.ndarray.types.DataType.FLOAT32);
        assertThat(t.toFloatArray()).containsExactly(1.0f, -2.5f, 0.15625f, 65280f);
      }
      p = rawFile("F16", new long[] {4}, f16.array());
      try (SafetensorsReader r = SafetensorsReader.open(p)) {
        assertThat(r.load("t", m, Device.cpu()).toFloatArray()).containsExactly(want);
      }
    }
  }

  @Test
  void loadedTensorsOwnTheirMemory() throws Exception {
    try (NDManager m = NDManager.newBaseManager(); SafetensorsReader r = SafetensorsReader.open(llamaWeights())) {
      NDArray t = r.load("model.norm.weight", m, Device.cpu());
      t.addi(1f); // would fault on a read-only mapping
      assertThat(t.getFloat(0)).isEqualTo(r.load("model.norm.weight", m, Device.cpu()).getFloat(0) + 1f);
    }
  }

  @Test
  void truncatedOrCorruptFilesNameTheFile() throws Exception {
    byte[] bytes = Files.readAllBytes(llamaWeights());
    Path cut = tmp.resolve("cut.safetensors");
    Files.write(cut, java.util.Arrays.copyOf(bytes, 1000));
    assertThatThrownBy(() -> SafetensorsReader.open(cut)).isInstanceOf(TrainerFailure.class)
        .hasMessageContaining(cut.toString()).hasMessageContaining("truncated");
    Path data = tmp.resolve("data.safetensors");
    Files.write(data, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    assertThatThrownBy(() -> SafetensorsReader.open(data)).isInstanceOf(TrainerFailure.class)
        .hasMessageContaining(data.toString()).hasMessageContaining("truncated");
    Path garbage = tmp.resolve("garbage.safetensors");
    byte[] g = bytes.clone();
    g[7] = 0x7f;
    Files.write(garbage, g);
    assertThatThrownBy(() -> SafetensorsReader.open(garbage)).isInstanceOf(TrainerFailure.class)
        .hasMessageContaining(garbage.toString()).hasMessageContaining("corrupt header");
    Path notJson = tmp.resolve("notjson.safetensors");
    byte[] nj = bytes.clone();
    nj[8] = 'x';
    Files.write(notJson, nj);
    assertThatThrownBy(() -> SafetensorsReader.open(notJson)).isInstanceOf(TrainerFailure.class)
        .hasMessageContaining(notJson.toString()).hasMessageContaining("corrupt header");
    Path tiny = tmp.resolve("tiny.safetensors");
    Files.write(tiny, new byte[3]);
    assertThatThrownBy(() -> SafetensorsReader.open(tiny)).hasMessageContaining(tiny.toString());
    assertThatThrownBy(() -> SafetensorsReader.open(tmp)).isInstanceOf(TrainerFailure.class)
        .hasMessageContaining("model.safetensors");
  }

  @Test
  void writerSortsByNameAndPadsTheHeader() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> t = new LinkedHashMap<>();
      t.put("b", m.create(new float[] {1, 2, 3}));
      t.put("a", m.create(new float[][] {{4}}));
      Path p = tmp.resolve("x.safetensors");
      SafetensorsWriter.write(p, t, null);
      byte[] bytes = Files.readAllBytes(p);
      long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
      assertThat(n % 8).isZero();
      String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
      assertThat(header).startsWith("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
          + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[4,16]}}");
      assertThat(header.trim()).hasSize(header.indexOf("}}") + 2);
      assertThat(readAll(p, m).get("b").toFloatArray()).containsExactly(1, 2, 3);
      assertThat(List.copyOf(readAll(p, m).keySet())).containsExactly("a", "b");
    }
  }
}
