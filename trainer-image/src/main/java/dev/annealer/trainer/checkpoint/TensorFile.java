package dev.annealer.trainer.checkpoint;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named float32 tensors in one file, little-endian:
 * {@code "ANNT" int32(version=1) int32(count) { int32(nameLen) utf8(name) int32(n) float32[n] }*}.
 * Written with one channel and forced to disk before the caller renames the directory.
 */
public final class TensorFile {
  private static final int MAGIC = 0x544E4E41; // "ANNT" little-endian

  private TensorFile() {}

  /** Writes and fsyncs the file; returns the hex SHA-256 of the bytes written (hashed on the way, no re-read). */
  public static String write(Path file, Map<String, float[]> tensors) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      head.putInt(MAGIC).putInt(1).putInt(tensors.size()).flip();
      writeFully(ch, head, md);
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (Map.Entry<String, float[]> e : tensors.entrySet()) {
        byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
        float[] v = e.getValue();
        ByteBuffer meta = ByteBuffer.allocate(8 + name.length).order(ByteOrder.LITTLE_ENDIAN);
        meta.putInt(name.length).put(name).putInt(v.length).flip();
        writeFully(ch, meta, md);
        int i = 0;
        while (i < v.length) {
          buf.clear();
          int n = Math.min(v.length - i, buf.capacity() / 4);
          buf.asFloatBuffer().put(v, i, n);
          buf.limit(n * 4);
          writeFully(ch, buf, md);
          i += n;
        }
      }
      ch.force(true);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, MessageDigest md) throws IOException {
    md.update(b.duplicate());
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  public static Map<String, float[]> read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(ch.size())).order(ByteOrder.LITTLE_ENDIAN);
      while (all.hasRemaining()) {
        if (ch.read(all) < 0) {
          throw new EOFException(file + " is truncated");
        }
      }
      all.flip();
      if (all.remaining() < 12 || all.getInt() != MAGIC) {
        throw new IOException(file + " is not an Annealer tensor file");
      }
      int version = all.getInt();
      if (version != 1) {
        throw new IOException(file + " has tensor format version " + version + ", this trainer reads version 1");
      }
      int count = all.getInt();
      Map<String, float[]> out = new LinkedHashMap<>();
      try {
        for (int t = 0; t < count; t++) {
          byte[] name = new byte[all.getInt()];
          all.get(name);
          float[] v = new float[all.getInt()];
          all.asFloatBuffer().get(v);
          all.position(all.position() + 4 * v.length);
          out.put(new String(name, StandardCharsets.UTF_8), v);
        }
      } catch (RuntimeException e) {
        throw new EOFException(file + " is truncated");
      }
      if (all.hasRemaining()) {
        throw new IOException(file + " has trailing bytes");
      }
      return out;
    }
  }
}
