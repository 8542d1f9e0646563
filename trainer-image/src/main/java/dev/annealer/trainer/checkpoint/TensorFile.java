package dev.annealer.trainer.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;

/**
 * Named float32 tensors in one file, little-endian:
 * {@code "ANNT" int32(version=1) int32(count) { int32(nameLen) utf8(name) int32(n) float32[n] }*}.
 *
 * <p>Writing streams each tensor's bytes as they are: a libtorch tensor as a view of its own memory
 * ({@link Source#bytes}, no per-float conversion), a {@code float[]} through a small pool of direct buffers. The
 * writes are large and sequential on one {@link FileChannel}; the file hash (SHA-256 per 8 MiB chunk, see
 * {@link #sha256(Path)}) runs on other cores over the same bytes while the next chunk is written; the file is fsynced
 * once, at the end. Entries are written in ascending name
 * order, so the {@link dev.annealer.trainer.ParamsDigest} of the same tensors is computed in the same pass.
 *
 * <p>Reading maps the file ({@link Reader}): any file size (a checkpoint over 2 GiB is an ordinary checkpoint),
 * tensors handed out as mapped views or copied into {@code float[]}. Format errors are
 * {@link CheckpointCorruptException}; other I/O errors stay plain {@link IOException}s (the caller may retry).
 */
public final class TensorFile {
  private static final int MAGIC = 0x544E4E41; // "ANNT" little-endian
  static final int CHUNK = 8 << 20;

  private TensorFile() {}

  /** One tensor to write: a {@code float[]} or its little-endian float32 bytes (remaining bytes of the buffer). */
  public record Source(float[] floats, ByteBuffer bytes) {
    public Source {
      if ((floats == null) == (bytes == null)) {
        throw new IllegalArgumentException("exactly one of floats and bytes");
      }
      if (bytes != null && (bytes.remaining() % 4 != 0 || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)) {
        throw new IllegalArgumentException("bytes must be whole float32 values in little-endian order");
      }
    }

    public static Source of(float[] values) {
      return new Source(values, null);
    }

    /** A view of float32 bytes (for example {@code NDArray.toByteBuffer(true)}); not copied, not modified. */
    public static Source of(ByteBuffer littleEndianFloats) {
      return new Source(null, littleEndianFloats.duplicate());
    }

    public long count() {
      return floats != null ? floats.length : bytes.remaining() / 4;
    }
  }

  /** What a write produced: the file's SHA-256, its size, and the ParamsDigest of its tensors when asked for. */
  public record Written(String sha256, long bytes, String paramsDigest) {}

  /** Opens the file a writer writes (tests substitute a channel that fails, e.g. with ENOSPC). */
  @FunctionalInterface
  public interface Opener {
    FileChannel open(Path file) throws IOException;

    Opener DEFAULT = f -> FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /** Bytes a file of these tensors takes. */
  public static long sizeOf(Map<String, Source> tensors) {
    long n = 12;
    for (Map.Entry<String, Source> e : tensors.entrySet()) {
      n += 8 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 * e.getValue().count();
    }
    return n;
  }

  /** Writes and fsyncs the file from {@code float[]}s; returns the hex SHA-256 of the bytes written. */
  public static String write(Path file, Map<String, float[]> tensors) throws IOException {
    Map<String, Source> s = new LinkedHashMap<>();
    tensors.forEach((k, v) -> s.put(k, Source.of(v)));
    return write(file, s, false, Opener.DEFAULT).sha256();
  }

  /**
   * Writes and fsyncs the file; hashes on other threads while writing (see {@link #sha256(Path)} for the file hash).
   *
   * @param paramsDigest also compute {@link dev.annealer.trainer.ParamsDigest} of the tensors (same pass)
   */
  public static Written write(Path file, Map<String, Source> tensors, boolean paramsDigest, Opener opener)
      throws IOException {
    TreeMap<String, Source> sorted = new TreeMap<>(tensors);
    for (Source s : sorted.values()) {
      if (s.count() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("a tensor over 2^31-1 values does not fit the int32 count of format 1");
      }
    }
    ChunkHasher chunks = new ChunkHasher();
    DigestThread digest = paramsDigest ? new DigestThread() : null;
    long written = 0;
    boolean ok = false;
    try (FileChannel ch = opener.open(file)) {
      ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      head.putInt(MAGIC).putInt(1).putInt(sorted.size()).flip();
      written += put(ch, head, chunks, null, null);
      for (Map.Entry<String, Source> e : sorted.entrySet()) {
        byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
        Source s = e.getValue();
        int count = (int) s.count();
        ByteBuffer meta = ByteBuffer.allocate(8 + name.length).order(ByteOrder.LITTLE_ENDIAN);
        meta.putInt(name.length).put(name).putInt(count).flip();
        ByteBuffer digestMeta = ByteBuffer.allocate(5 + name.length).order(ByteOrder.LITTLE_ENDIAN);
        digestMeta.put(name).put((byte) 0).putInt(count).flip();
        written += put(ch, meta, chunks, digest, digestMeta);
        if (s.bytes() != null) {
          ByteBuffer all = s.bytes().duplicate();
          int end = all.limit();
          for (int p = all.position(); p < end; p += CHUNK) {
            ByteBuffer slice = all.duplicate();
            slice.position(p).limit((int) Math.min((long) p + CHUNK, end));
            written += put(ch, slice, chunks, digest, slice);
          }
        } else {
          float[] v = s.floats();
          for (int i = 0; i < v.length; ) {
            int n = Math.min(v.length - i, CHUNK / 4);
            ByteBuffer buf = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(v, i, n);
            written += put(ch, buf, chunks, digest, buf);
            i += n;
          }
        }
      }
      String fileHex = chunks.finish();
      String paramsHex = digest == null ? null : digest.finish();
      ch.force(true);
      ok = true;
      return new Written(fileHex, written, paramsHex);
    } finally {
      if (!ok) {
        chunks.abort();
        if (digest != null) {
          digest.abort();
        }
      }
    }
  }

  private static long put(FileChannel ch, ByteBuffer bytes, ChunkHasher chunks, DigestThread digest, ByteBuffer forDigest)
      throws IOException {
    ByteBuffer w = bytes.duplicate();
    long n = w.remaining();
    while (w.hasRemaining()) {
      ch.write(w);
    }
    chunks.add(bytes);
    if (digest != null && forDigest != null) {
      digest.add(forDigest);
    }
    return n;
  }

  /**
   * The file hash: SHA-256 of each {@link #CHUNK} bytes of the file, computed in parallel, then SHA-256 over those
   * 32-byte digests in order. Strict (any changed byte changes it) and as fast as the cores allow.
   */
  static final class ChunkHasher {
    private final List<CompletableFuture<byte[]>> done = new ArrayList<>();
    private final Semaphore inFlight = new Semaphore(2 * Math.max(2, Runtime.getRuntime().availableProcessors()));
    private List<ByteBuffer> pieces = new ArrayList<>();
    private long filled;
    private volatile boolean aborted;

    void add(ByteBuffer b) throws IOException {
      ByteBuffer r = b.duplicate();
      while (r.hasRemaining()) {
        int take = (int) Math.min(r.remaining(), CHUNK - filled);
        ByteBuffer piece = r.duplicate();
        piece.limit(piece.position() + take);
        r.position(r.position() + take);
        pieces.add(piece);
        filled += take;
        if (filled == CHUNK) {
          flush();
        }
      }
    }

    private void flush() throws IOException {
      if (pieces.isEmpty()) {
        return;
      }
      List<ByteBuffer> ps = pieces;
      pieces = new ArrayList<>();
      filled = 0;
      try {
        inFlight.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      done.add(CompletableFuture.supplyAsync(() -> {
        MessageDigest md = sha256();
        if (!aborted) {
          for (ByteBuffer p : ps) {
            md.update(p);
          }
        }
        return md.digest();
      }, Threads.HASH).whenComplete((x, e) -> inFlight.release()));
    }

    String finish() throws IOException {
      flush();
      MessageDigest md = sha256();
      for (CompletableFuture<byte[]> f : done) {
        md.update(await(f));
      }
      return HexFormat.of().formatHex(md.digest());
    }

    void abort() {
      aborted = true;
    }
  }

  /** The sequential ParamsDigest on its own thread, fed in write order through a short queue. */
  private static final class DigestThread {
    private static final ByteBuffer END = ByteBuffer.allocate(0);
    private final BlockingQueue<ByteBuffer> queue = new ArrayBlockingQueue<>(8);
    private final MessageDigest md = sha256();
    private final CompletableFuture<String> result = new CompletableFuture<>();
    private volatile boolean aborted;

    DigestThread() {
      Thread t = new Thread(() -> {
        try {
          for (ByteBuffer b = queue.take(); b != END && !aborted; b = queue.take()) {
            md.update(b.duplicate());
          }
          result.complete(HexFormat.of().formatHex(md.digest()));
        } catch (InterruptedException | RuntimeException e) {
          result.completeExceptionally(e);
        }
      }, "annealer-params-digest");
      t.setDaemon(true);
      t.start();
    }

    void add(ByteBuffer b) throws IOException {
      try {
        queue.put(b);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    String finish() throws IOException {
      add(END);
      return await(result);
    }

    void abort() {
      aborted = true;
      queue.clear();
      queue.offer(END);
    }
  }

  private static <T> T await(CompletableFuture<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while hashing", e);
    } catch (ExecutionException e) {
      throw new IOException("hashing failed: " + e.getCause(), e.getCause());
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads every tensor into {@code float[]} (small files; see {@link Reader} for large ones). */
  public static Map<String, float[]> read(Path file) throws IOException {
    try (Reader r = Reader.open(file)) {
      Map<String, float[]> out = new LinkedHashMap<>();
      for (String n : r.names()) {
        out.put(n, r.floats(n));
      }
      return out;
    }
  }

  /** The file hash of {@link ChunkHasher} (parallel SHA-256 of 8 MiB chunks), of a file of any size, mapped. */
  public static String sha256(Path file) throws IOException {
    ChunkHasher h = new ChunkHasher();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      for (long p = 0; p < size; p += CHUNK) {
        h.add(ch.map(FileChannel.MapMode.READ_ONLY, p, Math.min(CHUNK, size - p)));
      }
      return h.finish();
    }
  }

  /** Plain SHA-256 of a whole file (the file hash of checkpoints written before chunked hashing). */
  public static String plainSha256(Path file) throws IOException {
    MessageDigest md = sha256();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      for (long p = 0; p < size; p += 1L << 30) {
        md.update(ch.map(FileChannel.MapMode.READ_ONLY, p, Math.min(1L << 30, size - p)));
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /**
   * The index of a tensor file (names, counts, offsets) and mapped views of its tensors. Valid views outlive
   * {@link #close()}: a mapping stays readable after the channel is closed (and after the file is deleted).
   */
  public static final class Reader implements AutoCloseable {
    private record Entry(long offset, int count) {}

    private final Path file;
    private final FileChannel ch;
    private final Map<String, Entry> index = new LinkedHashMap<>();

    private Reader(Path file, FileChannel ch) {
      this.file = file;
      this.ch = ch;
    }

    public static Reader open(Path file) throws IOException {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
      try {
        Reader r = new Reader(file, ch);
        r.index();
        return r;
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
    }

    private void index() throws IOException {
      long size = ch.size();
      ByteBuffer head = readAt(0, 12, size);
      if (head.getInt() != MAGIC) {
        throw new CheckpointCorruptException(file + " is not an Annealer tensor file");
      }
      int version = head.getInt();
      if (version != 1) {
        throw new CheckpointCorruptException(file + " has tensor format version " + version + ", this trainer reads version 1");
      }
      int count = head.getInt();
      long pos = 12;
      for (int t = 0; t < count; t++) {
        int nameLen = readAt(pos, 4, size).getInt();
        if (nameLen < 0 || nameLen > 1 << 16) {
          throw new CheckpointCorruptException(file + " has a tensor name of " + nameLen + " bytes at offset " + pos);
        }
        ByteBuffer meta = readAt(pos + 4, nameLen + 4, size);
        byte[] name = new byte[nameLen];
        meta.get(name);
        int n = meta.getInt();
        if (n < 0) {
          throw new CheckpointCorruptException(file + " has a tensor of " + n + " values at offset " + pos);
        }
        long data = pos + 8 + nameLen;
        if (data + 4L * n > size) {
          throw new CheckpointCorruptException(file + " is truncated");
        }
        index.put(new String(name, StandardCharsets.UTF_8), new Entry(data, n));
        pos = data + 4L * n;
      }
      if (pos != size) {
        throw new CheckpointCorruptException(file + " has trailing bytes");
      }
    }

    private ByteBuffer readAt(long pos, int n, long size) throws IOException {
      if (pos + n > size) {
        throw new CheckpointCorruptException(file + " is truncated");
      }
      ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        if (ch.read(b, pos + b.position()) < 0) {
          throw new CheckpointCorruptException(file + " is truncated");
        }
      }
      return b.flip();
    }

    /** Tensor names in file order. */
    public List<String> names() {
      return new ArrayList<>(index.keySet());
    }

    public long count(String name) {
      return entry(name).count();
    }

    /** A read-only little-endian mapped view of the tensor's float32 bytes. */
    public ByteBuffer bytes(String name) throws IOException {
      Entry e = entry(name);
      long len = 4L * e.count();
      if (len > Integer.MAX_VALUE) {
        throw new IOException(file + ": tensor " + name + " is " + len + " bytes, over the 2 GiB a single mapped view "
            + "holds; split it");
      }
      if (len == 0) {
        return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
      }
      return ch.map(FileChannel.MapMode.READ_ONLY, e.offset(), len).order(ByteOrder.LITTLE_ENDIAN);
    }

    public float[] floats(String name) throws IOException {
      float[] v = new float[Math.toIntExact(count(name))];
      bytes(name).asFloatBuffer().get(v);
      return v;
    }

    private Entry entry(String name) {
      Entry e = index.get(name);
      if (e == null) {
        throw new IllegalArgumentException(file + " has no tensor " + name);
      }
      return e;
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
