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
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Map.Entry<String, float[]> e : new TreeMap<>(params).entrySet()) {
      md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      float[] v = e.getValue();
      ByteBuffer buf = ByteBuffer.allocate(4 + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
      buf.putInt(v.length);
      for (float f : v) {
        buf.putFloat(f);
      }
      md.update(buf.array());
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
