package dev.annealer.trainer.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.annealer.trainer.ParamsDigest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoints in {@code <dir>/step-<12-digit step>/}: {@code params.bin}, {@code optimizer.bin} (see
 * {@link TensorFile}) and {@code manifest.json}, written last and holding every other file's SHA-256.
 *
 * <p>Atomicity: files go to {@code .tmp-step-.../}, each is fsynced, the temp directory is fsynced, renamed to its
 * final name with an atomic move, and the parent directory fsynced. A crash leaves either the old set or the new
 * complete checkpoint; a leftover {@code .tmp-*} is deleted on the next write.
 *
 * <p>Loading walks checkpoints newest first and skips (with a warning) any whose manifest is missing, unreadable,
 * or whose files do not match their recorded SHA-256 or the parameters their {@code paramsSha256}.
 */
public final class CheckpointStore {
  public static final String MANIFEST = "manifest.json";
  public static final String PARAMS = "params.bin";
  public static final String OPTIMIZER = "optimizer.bin";
  private static final Pattern NAME = Pattern.compile("step-(\\d{12})");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A checkpoint read back from disk, verified. */
  public record Loaded(String name, Path dir, long step, Map<String, Object> manifest, Map<String, float[]> params,
      Map<String, float[]> optimizerBuffers) {}

  private final Path root;
  private final Consumer<String> warn;

  public CheckpointStore(Path root, Consumer<String> warn) {
    this.root = root;
    this.warn = warn;
  }

  public Path root() {
    return root;
  }

  public static String nameOf(long step) {
    return String.format("step-%012d", step);
  }

  /** What a write produced. */
  public record Written(String name, String paramsSha256) {}

  /**
   * Writes a checkpoint atomically and returns its name and parameter digest. {@code manifest} gets {@code files}, {@code paramsSha256}
   * and {@code name} added.
   */
  public Written write(long step, Map<String, Object> manifest, Map<String, float[]> params,
      Map<String, float[]> optimizerBuffers) throws IOException {
    Files.createDirectories(root);
    deleteTemps();
    String name = nameOf(step);
    Path tmp = root.resolve(".tmp-" + name);
    Files.createDirectory(tmp);
    String paramsFile = TensorFile.write(tmp.resolve(PARAMS), params);
    String optimizerFile = TensorFile.write(tmp.resolve(OPTIMIZER), optimizerBuffers);
    Map<String, Object> m = new LinkedHashMap<>(manifest);
    m.put("name", name);
    String digest = ParamsDigest.sha256(params);
    m.put("paramsSha256", digest);
    Map<String, String> files = new LinkedHashMap<>();
    files.put(PARAMS, paramsFile);
    files.put(OPTIMIZER, optimizerFile);
    m.put("files", files);
    byte[] json = JSON.writeValueAsBytes(m);
    try (FileChannel ch = FileChannel.open(tmp.resolve(MANIFEST), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(json));
      ch.force(true);
    }
    fsyncDir(tmp);
    Path target = root.resolve(name);
    Path replaced = null;
    if (Files.exists(target)) {
      // same step written again: move the old one aside first, so a valid step-N exists at every instant but one rename
      replaced = root.resolve(".tmp-replaced-" + name);
      deleteTree(replaced);
      Files.move(target, replaced, StandardCopyOption.ATOMIC_MOVE);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("checkpoint directory " + root + " does not support atomic rename", e);
    }
    fsyncDir(root);
    if (replaced != null) {
      deleteTree(replaced);
    }
    return new Written(name, digest);
  }

  /** Newest checkpoint that verifies; corrupt or incomplete newer ones are reported through {@code warn}. */
  public Optional<Loaded> latestValid() throws IOException {
    for (Path dir : checkpointsNewestFirst()) {
      try {
        return Optional.of(load(dir));
      } catch (IOException | RuntimeException e) {
        warn.accept("checkpoint " + dir.getFileName() + " is corrupt or incomplete, skipping it: " + e.getMessage());
      }
    }
    return Optional.empty();
  }

  @SuppressWarnings("unchecked")
  public Loaded load(Path dir) throws IOException {
    Path manifestFile = dir.resolve(MANIFEST);
    if (!Files.exists(manifestFile)) {
      throw new IOException("no " + MANIFEST);
    }
    Map<String, Object> m = JSON.readValue(manifestFile.toFile(), Map.class);
    Map<String, String> files = (Map<String, String>) m.get("files");
    if (files == null) {
      throw new IOException(MANIFEST + " lists no files");
    }
    for (Map.Entry<String, String> e : files.entrySet()) {
      Path f = dir.resolve(e.getKey());
      if (!Files.exists(f)) {
        throw new IOException(e.getKey() + " is missing");
      }
      String actual = sha256(f);
      if (!actual.equals(e.getValue())) {
        throw new IOException(e.getKey() + " has sha256 " + actual + ", manifest says " + e.getValue());
      }
    }
    Map<String, float[]> params = TensorFile.read(dir.resolve(PARAMS));
    String digest = ParamsDigest.sha256(params);
    if (!digest.equals(m.get("paramsSha256"))) {
      throw new IOException("parameters digest " + digest + " != manifest paramsSha256 " + m.get("paramsSha256"));
    }
    Map<String, float[]> opt = TensorFile.read(dir.resolve(OPTIMIZER));
    long step = ((Number) m.get("step")).longValue();
    return new Loaded(dir.getFileName().toString(), dir, step, m, params, opt);
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
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Step encoded in a checkpoint directory name, or -1. */
  public static long stepOf(String name) {
    Matcher m = NAME.matcher(name);
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }
}
