package dev.annealer.trainer.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.annealer.trainer.ParamsDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoints in {@code <dir>/step-<12-digit step>/}: {@code params.bin}, {@code optimizer.bin} (see
 * {@link TensorFile}) and {@code manifest.json}, written last and holding every other file's hash (SHA-256 of its
 * 8 MiB chunks' SHA-256s, computed in parallel while writing) and the parameters' {@code paramsSha256}.
 *
 * <p>Atomicity: files go to {@code .tmp-<writer>-step-.../}, each is fsynced once, the temp directory is fsynced,
 * renamed to its final name with an atomic move, and the parent directory fsynced. A crash leaves either the old set
 * or the new complete checkpoint; a leftover {@code .tmp-*} is deleted by the next writer that holds the lease.
 *
 * <p>Fencing: a trainer attempt takes the directory's writer lease ({@code .writer-lease}, stamped with the attempt
 * number and a per-process token) with {@link #acquire}; an older attempt never takes it from a newer one. Before
 * every rename, prune and clean-up the writer checks that it still holds the lease, and stops with
 * {@link CheckpointFencedException} when another attempt took it over (e.g. after a node partition, two pods on one
 * volume): the old writer can no longer rename or delete anything.
 *
 * <p>Space: before writing, the store compares the checkpoint's size with the volume's usable space; when short it
 * first prunes the checkpoints that the write would prune anyway (only when at least one checkpoint stays), and
 * when still short, or on ENOSPC/EDQUOT in the middle of a write, it deletes its partial temp directory and throws
 * {@link CheckpointVolumeFullException} with the bytes needed.
 *
 * <p>Loading walks checkpoints newest first and skips (with a warning) any that is corrupt
 * ({@link CheckpointCorruptException}: missing or unreadable manifest or file, SHA-256 or {@code paramsSha256}
 * mismatch, malformed tensor file). Any other read error is retried and then reported as such, never as corruption.
 * Files are read through memory mappings, any size, and their hashes are verified in parallel.
 */
public final class CheckpointStore {
  public static final String MANIFEST = "manifest.json";
  public static final String PARAMS = "params.bin";
  public static final String OPTIMIZER = "optimizer.bin";
  public static final String LEASE = ".writer-lease";
  /**
   * How {@code files} hashes are computed: SHA-256 over the SHA-256 of each 8 MiB chunk ({@link TensorFile#sha256}).
   * A manifest without {@code fileHash} (written before) holds plain SHA-256s of the whole files.
   */
  public static final String FILE_HASH = "sha256-of-8MiB-chunk-sha256s";
  private static final Pattern NAME = Pattern.compile("step-(\\d{12})");
  private static final Pattern LEASE_TEXT = Pattern.compile("attempt=(-?\\d+) token=(\\S+)\\s*");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final long MANIFEST_ALLOWANCE = 64 << 10;
  static final int READ_TRIES = 3;

  /** A checkpoint read back from disk, verified; tensors are mapped views (little-endian float32). */
  public record Loaded(String name, Path dir, long step, Map<String, Object> manifest, Map<String, ByteBuffer> paramBytes,
      Map<String, ByteBuffer> optimizerBytes) {
    /** The parameters copied into {@code float[]}s. */
    public Map<String, float[]> params() {
      return floats(paramBytes);
    }

    /** The optimizer buffers copied into {@code float[]}s. */
    public Map<String, float[]> optimizerBuffers() {
      return floats(optimizerBytes);
    }

    private static Map<String, float[]> floats(Map<String, ByteBuffer> m) {
      Map<String, float[]> out = new LinkedHashMap<>();
      m.forEach((k, b) -> {
        float[] v = new float[b.remaining() / 4];
        b.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        out.put(k, v);
      });
      return out;
    }
  }

  /** Where the store asks for free space and opens the files it writes (tests substitute both). */
  public interface Disk {
    long usableBytes(Path root) throws IOException;

    FileChannel open(Path file) throws IOException;

    Disk REAL = new Disk() {
      @Override
      public long usableBytes(Path root) throws IOException {
        return Files.getFileStore(root).getUsableSpace();
      }

      @Override
      public FileChannel open(Path file) throws IOException {
        return TensorFile.Opener.DEFAULT.open(file);
      }
    };
  }

  /** What to keep after a write: {@code keepLast} newest, plus cycle snapshots when {@code keepCycleSnapshots}. */
  public record Retention(int keepLast, boolean keepCycleSnapshots) {}

  private final Path root;
  private final Consumer<String> warn;
  private final Disk disk;
  private final String token = UUID.randomUUID().toString();
  private volatile Integer attempt;

  public CheckpointStore(Path root, Consumer<String> warn) {
    this(root, warn, Disk.REAL);
  }

  public CheckpointStore(Path root, Consumer<String> warn, Disk disk) {
    this.root = root;
    this.warn = warn;
    this.disk = disk;
  }

  public Path root() {
    return root;
  }

  public static String nameOf(long step) {
    return String.format("step-%012d", step);
  }

  /**
   * Takes the writer lease for trainer attempt {@code attempt} (a newer or the same attempt number takes it over).
   *
   * @throws CheckpointFencedException when a newer attempt holds it
   */
  public void acquire(int attempt) throws IOException {
    Files.createDirectories(root);
    Optional<int[]> held = leaseAttempt();
    if (held.isPresent() && held.get()[0] > attempt) {
      throw new CheckpointFencedException("attempt " + held.get()[0] + " holds the writer lease of " + root
          + "; this is attempt " + attempt + ", superseded: it writes nothing");
    }
    Path tmp = root.resolve(LEASE + ".tmp-" + token);
    Files.writeString(tmp, "attempt=" + attempt + " token=" + token + "\n");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, root.resolve(LEASE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDir(root);
    this.attempt = attempt;
  }

  private Optional<int[]> leaseAttempt() throws IOException {
    Matcher m = readLease();
    return m == null ? Optional.empty() : Optional.of(new int[] {Integer.parseInt(m.group(1))});
  }

  private Matcher readLease() throws IOException {
    Path f = root.resolve(LEASE);
    if (!Files.exists(f)) {
      return null;
    }
    Matcher m = LEASE_TEXT.matcher(Files.readString(f));
    return m.matches() ? m : null;
  }

  /** Throws unless this store holds the lease it acquired (no-op for a store that never acquired one). */
  public void checkLease(String what) throws IOException {
    if (attempt == null) {
      return;
    }
    Matcher m = readLease();
    if (m == null || !m.group(2).equals(token)) {
      throw new CheckpointFencedException("cannot " + what + ": attempt " + attempt + " no longer holds the writer "
          + "lease of " + root + " (" + (m == null ? "lease file missing" : "attempt " + m.group(1) + " took it over")
          + "); this writer stops without touching the directory");
    }
  }

  /** What a write produced. */
  public record Written(String name, String paramsSha256, long bytes, double seconds, List<String> pruned) {}

  /** Writes a checkpoint of {@code float[]}s, no retention (see the full form). */
  public Written write(long step, Map<String, Object> manifest, Map<String, float[]> params,
      Map<String, float[]> optimizerBuffers) throws IOException {
    return write(step, manifest, sources(params), sources(optimizerBuffers), null);
  }

  public static Map<String, TensorFile.Source> sources(Map<String, float[]> m) {
    Map<String, TensorFile.Source> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, TensorFile.Source.of(v)));
    return out;
  }

  /**
   * Writes a checkpoint atomically, then prunes by {@code retention} (null: no pruning). {@code manifest} gets
   * {@code files}, {@code paramsSha256} and {@code name} added.
   */
  public Written write(long step, Map<String, Object> manifest, Map<String, TensorFile.Source> params,
      Map<String, TensorFile.Source> optimizerBuffers, Retention retention) throws IOException {
    long t0 = System.nanoTime();
    Files.createDirectories(root);
    checkLease("clean up temporary directories");
    deleteTemps();
    String name = nameOf(step);
    long need = TensorFile.sizeOf(params) + TensorFile.sizeOf(optimizerBuffers) + MANIFEST_ALLOWANCE;
    ensureSpace(name, need, retention);
    Path tmp = root.resolve(".tmp-" + token.substring(0, 8) + "-" + name);
    Files.createDirectory(tmp);
    String digest;
    try {
      TensorFile.Written p = TensorFile.write(tmp.resolve(PARAMS), params, true, disk::open);
      TensorFile.Written o = TensorFile.write(tmp.resolve(OPTIMIZER), optimizerBuffers, false, disk::open);
      Map<String, Object> m = new LinkedHashMap<>(manifest);
      m.put("name", name);
      digest = p.paramsDigest();
      m.put("paramsSha256", digest);
      Map<String, String> files = new LinkedHashMap<>();
      files.put(PARAMS, p.sha256());
      files.put(OPTIMIZER, o.sha256());
      m.put("files", files);
      m.put("fileHash", FILE_HASH);
      m.put("bytes", p.bytes() + o.bytes());
      byte[] json = JSON.writeValueAsBytes(m);
      try (FileChannel ch = disk.open(tmp.resolve(MANIFEST))) {
        ByteBuffer b = ByteBuffer.wrap(json);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      fsyncDir(tmp);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp);
      checkLease("write " + name + " (" + e + ")");
      if (isNoSpace(e)) {
        long free = usable();
        throw new CheckpointVolumeFullException("no space left on the checkpoint volume " + root + " while writing "
            + name + ": it needs " + need + " bytes, " + free + " are free; the partial checkpoint was removed", need,
            free, e);
      }
      throw e;
    }
    Path target = root.resolve(name);
    Path replaced = null;
    try {
      checkLease("rename " + name + " into place");
    } catch (CheckpointFencedException e) {
      deleteQuietly(tmp);
      throw e;
    }
    if (Files.exists(target)) {
      // same step written again: move the old one aside first, so a valid step-N exists at every instant but one rename
      replaced = root.resolve(".tmp-replaced-" + name);
      deleteTree(replaced);
      Files.move(target, replaced, StandardCopyOption.ATOMIC_MOVE);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      deleteQuietly(tmp);
      throw new IOException("checkpoint directory " + root + " does not support atomic rename", e);
    }
    fsyncDir(root);
    if (replaced != null) {
      deleteTree(replaced);
    }
    double seconds = (System.nanoTime() - t0) / 1e9; // the write itself: files, fsyncs, rename (not the pruning after)
    List<String> pruned = retention == null ? List.of()
        : prune(retention.keepLast(), retention.keepCycleSnapshots(), name);
    long bytes = 0;
    try (var files = Files.list(target)) {
      for (Path f : files.toList()) {
        bytes += Files.size(f);
      }
    }
    return new Written(name, digest, bytes, seconds, pruned);
  }

  private long usable() {
    try {
      return disk.usableBytes(root);
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Makes room for {@code need} bytes: when short, prunes what the write would prune anyway, keeping
   * {@code keepLast - 1} (at least one) checkpoints besides the new one, then gives up if still short.
   */
  private void ensureSpace(String name, long need, Retention retention) throws IOException {
    long free = usable();
    if (free < 0 || free >= need) {
      return;
    }
    List<String> pruned = List.of();
    if (retention != null && retention.keepLast() >= 2) {
      pruned = prune(retention.keepLast() - 1, retention.keepCycleSnapshots(), name);
      if (!pruned.isEmpty()) {
        warn.accept("checkpoint volume " + root + " had " + free + " bytes free, " + name + " needs " + need
            + ": pruned " + String.join(",", pruned) + " before writing (they would be pruned after it anyway)");
      }
      free = usable();
    }
    if (free < need) {
      throw new CheckpointVolumeFullException("the checkpoint volume " + root + " has " + free + " bytes free, checkpoint "
          + name + " needs " + need + (retention != null && retention.keepLast() < 2 && !checkpointsNewestFirst().isEmpty()
          ? " (with keepLast 1 the only checkpoint cannot be deleted before the new one is complete)" : "")
          + (pruned.isEmpty() ? "" : " even after pruning " + String.join(",", pruned)), need, free, null);
    }
  }

  /** Whether an I/O error is a full volume or an exhausted quota (ENOSPC, EDQUOT), anywhere in its causes. */
  static boolean isNoSpace(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String msg = t instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : t.getMessage();
      if (msg != null && (msg.contains("No space left on device") || msg.contains("Disk quota exceeded"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Newest checkpoint that verifies; corrupt or incomplete newer ones are reported through {@code warn} and skipped.
   * A read error that is not corruption is retried and then thrown ({@link CheckpointReadException}): an older
   * checkpoint is not silently used in place of one that may be fine.
   */
  public Optional<Loaded> latestValid() throws IOException {
    for (Path dir : checkpointsNewestFirst()) {
      for (int tries = 1; ; tries++) {
        try {
          return Optional.of(load(dir));
        } catch (CheckpointCorruptException e) {
          warn.accept("checkpoint " + dir.getFileName() + " is corrupt or incomplete, skipping it: " + e.getMessage());
          break;
        } catch (IOException e) {
          if (tries >= READ_TRIES) {
            throw new CheckpointReadException("cannot read checkpoint " + dir.getFileName() + " (" + e + ", " + tries
                + " tries): this is a read error, not corruption; the next attempt retries it", e);
          }
          warn.accept("reading checkpoint " + dir.getFileName() + " failed (" + e + "), retrying");
          sleep(200L * tries);
        }
      }
    }
    return Optional.empty();
  }

  private static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Loads and verifies one checkpoint: hashes of every file and the parameters' digest, in parallel. */
  @SuppressWarnings("unchecked")
  public Loaded load(Path dir) throws IOException {
    Path manifestFile = dir.resolve(MANIFEST);
    if (!Files.exists(manifestFile)) {
      throw new CheckpointCorruptException("no " + MANIFEST);
    }
    Map<String, Object> m;
    Map<String, String> files;
    long step;
    try {
      m = JSON.readValue(manifestFile.toFile(), Map.class);
      files = (Map<String, String>) m.get("files");
      step = ((Number) m.get("step")).longValue();
    } catch (com.fasterxml.jackson.core.JacksonException | RuntimeException e) {
      throw new CheckpointCorruptException(MANIFEST + " is unreadable: " + e.getMessage(), e);
    }
    if (files == null) {
      throw new CheckpointCorruptException(MANIFEST + " lists no files");
    }
    for (String f : List.of(PARAMS, OPTIMIZER)) {
      if (!files.containsKey(f)) {
        throw new CheckpointCorruptException(MANIFEST + " does not list " + f);
      }
    }
    Map<String, CompletableFuture<String>> hashes = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : files.entrySet()) {
      Path f = dir.resolve(e.getKey());
      if (!Files.exists(f)) {
        throw new CheckpointCorruptException(e.getKey() + " is missing");
      }
      boolean chunked = FILE_HASH.equals(m.get("fileHash"));
      hashes.put(e.getKey(), supply(() -> chunked ? TensorFile.sha256(f) : TensorFile.plainSha256(f)));
    }
    Map<String, ByteBuffer> params;
    Map<String, ByteBuffer> opt;
    try (TensorFile.Reader pr = TensorFile.Reader.open(dir.resolve(PARAMS));
        TensorFile.Reader or = TensorFile.Reader.open(dir.resolve(OPTIMIZER))) {
      params = views(pr);
      opt = views(or);
    } catch (CheckpointCorruptException e) {
      checkHashes(hashes, files); // a truncated or altered file is reported as the hash mismatch it is
      throw e;
    }
    CompletableFuture<String> digest = supply(() -> ParamsDigest.sha256Bytes(params));
    checkHashes(hashes, files);
    String d = join(digest);
    if (!d.equals(m.get("paramsSha256"))) {
      throw new CheckpointCorruptException("parameters digest " + d + " != manifest paramsSha256 " + m.get("paramsSha256"));
    }
    return new Loaded(dir.getFileName().toString(), dir, step, m, params, opt);
  }

  private static void checkHashes(Map<String, CompletableFuture<String>> hashes, Map<String, String> files)
      throws IOException {
    for (Map.Entry<String, CompletableFuture<String>> e : hashes.entrySet()) {
      String actual = join(e.getValue());
      if (!actual.equals(files.get(e.getKey()))) {
        throw new CheckpointCorruptException(e.getKey() + " has sha256 " + actual + ", manifest says " + files.get(e.getKey()));
      }
    }
  }

  private static Map<String, ByteBuffer> views(TensorFile.Reader r) throws IOException {
    Map<String, ByteBuffer> out = new LinkedHashMap<>();
    for (String n : r.names()) {
      out.put(n, r.bytes(n));
    }
    return out;
  }

  private interface IoSupplier<T> {
    T get() throws IOException;
  }

  private static <T> CompletableFuture<T> supply(IoSupplier<T> s) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return s.get();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, Threads.VERIFY);
  }

  private static <T> T join(CompletableFuture<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while verifying a checkpoint", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof java.io.UncheckedIOException u) {
        throw u.getCause();
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(c);
    }
  }

  /** Checkpoint directories by step, newest first (temp directories excluded). */
  public List<Path> checkpointsNewestFirst() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, "step-*")) {
      for (Path p : ds) {
        if (NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)) {
          out.add(p);
        }
      }
    }
    out.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
    return out;
  }

  /**
   * Retention: keeps the {@code keepLast} newest checkpoints plus, when {@code keepCycleSnapshots}, every checkpoint
   * whose manifest says {@code cycleSnapshot: true}. Never deletes {@code protect} (the one just written).
   */
  @SuppressWarnings("unchecked")
  public List<String> prune(int keepLast, boolean keepCycleSnapshots, String protect) throws IOException {
    checkLease("prune old checkpoints");
    List<String> deleted = new ArrayList<>();
    int kept = 0;
    for (Path dir : checkpointsNewestFirst()) {
      String name = dir.getFileName().toString();
      if (name.equals(protect) || kept < keepLast) {
        kept++;
        continue;
      }
      if (keepCycleSnapshots) {
        try {
          Map<String, Object> m = JSON.readValue(dir.resolve(MANIFEST).toFile(), Map.class);
          if (Boolean.TRUE.equals(m.get("cycleSnapshot"))) {
            continue;
          }
        } catch (IOException e) {
          // unreadable manifest: not a snapshot worth keeping
        }
      }
      deleteTree(dir);
      deleted.add(name);
    }
    return deleted;
  }

  private void deleteTemps() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, ".tmp-*")) {
      for (Path p : ds) {
        deleteTree(p);
      }
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      deleteTree(p);
    } catch (IOException | RuntimeException ignored) {
      // best effort: the next writer holding the lease deletes leftovers
    }
  }

  /** Deletes a directory tree (benchmarks clean up with it). */
  public static void deleteTreeForBench(Path p) throws IOException {
    deleteTree(p);
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  public static String sha256(Path file) throws IOException {
    return TensorFile.sha256(file);
  }

  /** Step encoded in a checkpoint directory name, or -1. */
  public static long stepOf(String name) {
    Matcher m = NAME.matcher(name);
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }
}
