package dev.annealer.trainer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parameter digest printed in {@code done step=<n> paramsSha256=<hex>}: SHA-256 over the parameters in
 * ascending name order, each contributing {@code UTF-8(name) 0x00 int32LE(count) float32LE(values...)}.
 * Depends only on names and float32 bit patterns, so it is stable across processes, machines and devices.
 */
public final class ParamsDigest {
  private ParamsDigest() {}

  public static String sha256(Map<String, float[]> params) {
    MessageDigest md = newDigest();
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<String, float[]> e : new TreeMap<>(params).entrySet()) {
      float[] v = e.getValue();
      head(md, e.getKey(), v.length);
      for (int i = 0; i < v.length; ) {
        int n = Math.min(v.length - i, buf.capacity() / 4);
        buf.clear();
        buf.asFloatBuffer().put(v, i, n);
        md.update(buf.array(), 0, 4 * n);
        i += n;
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** The same digest over little-endian float32 bytes (e.g. mapped checkpoint tensors or libtorch memory). */
  public static String sha256Bytes(Map<String, ByteBuffer> params) {
    MessageDigest md = newDigest();
    for (Map.Entry<String, ByteBuffer> e : new TreeMap<>(params).entrySet()) {
      ByteBuffer b = e.getValue().duplicate();
      head(md, e.getKey(), b.remaining() / 4);
      md.update(b);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void head(MessageDigest md, String name, int count) {
    md.update(name.getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    md.update(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(count).array());
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
