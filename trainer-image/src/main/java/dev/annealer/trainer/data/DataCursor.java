package dev.annealer.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a checkpoint stands in the data, and what decides the order the rest is read in: the checkpoint manifest's
 * {@code dataCursor}. Batches are a pure function of (seed, epoch, batch size, accumulation, shuffle, the records), so
 * a resume reads the same batches as an uninterrupted run exactly when all of these are unchanged; {@code spec.training}
 * stays editable after the start, and data files on a volume can be rewritten in place. {@link #mismatch} compares
 * the cursor saved with the checkpoint with the cursor the current spec and data give at the same step.
 */
public final class DataCursor {
  private DataCursor() {}

  /** The cursor at {@code step}: its position plus everything the order depends on. */
  public static Map<String, Object> at(BatchPlan plan, long step, long seed, int accumulation, boolean shuffle,
      long rows, String dataSha256) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("epoch", plan.epochOf(step));
    c.put("offset", plan.offsetOf(step));
    c.put("stepsPerEpoch", plan.stepsPerEpoch());
    c.put("batchSize", plan.batchSize());
    c.put("gradientAccumulation", accumulation);
    c.put("shuffle", shuffle);
    c.put("seed", seed);
    c.put("rows", rows);
    if (dataSha256 != null) {
      c.put("dataSha256", dataSha256);
    }
    return c;
  }

  /**
   * The keys whose values differ, as {@code key saved -> now}; empty when the resume reads the same batches. A key
   * the saved cursor lacks (a checkpoint from an older trainer) is not compared.
   */
  public static Optional<String> mismatch(Map<String, Object> saved, Map<String, Object> now) {
    if (saved == null) {
      return Optional.empty();
    }
    List<String> diffs = new ArrayList<>();
    for (Map.Entry<String, Object> e : now.entrySet()) {
      if (!saved.containsKey(e.getKey())) {
        continue;
      }
      Object was = saved.get(e.getKey());
      if (!same(was, e.getValue())) {
        diffs.add(e.getKey() + " " + was + " -> " + e.getValue());
      }
    }
    return diffs.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", diffs));
  }

  private static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.longValue() == y.longValue() && x.doubleValue() == y.doubleValue();
    }
    return Objects.equals(String.valueOf(a), String.valueOf(b));
  }

  /** {@code sha256:<hex>} of a file's bytes, streamed; null when it is not a regular file (a directory, a builtin). */
  public static String sha256(Path file) throws IOException {
    if (file == null || !Files.isRegularFile(file)) {
      return null;
    }
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(OutputStreamSink.INSTANCE);
    }
    return "sha256:" + HexFormat.of().formatHex(md.digest());
  }

  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
