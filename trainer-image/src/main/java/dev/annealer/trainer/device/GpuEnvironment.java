package dev.annealer.trainer.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the trainer can see of the GPUs: the observation half of the device choice ({@link DeviceChoice} decides).
 *
 * @param gpusVisibleToEngine GPUs the loaded libtorch can use (0 with a CPU-only native library)
 * @param engineVersion libtorch version of the loaded engine
 * @param nativeFlavour {@code cpu} or the CUDA flavour of the loaded native library (e.g. {@code cu124})
 * @param cudaVisibleDevices {@code $CUDA_VISIBLE_DEVICES} (null when unset)
 * @param nvidiaVisibleDevices {@code $NVIDIA_VISIBLE_DEVICES} (null when unset; the NVIDIA container toolkit sets it)
 * @param driver first line of {@code /proc/driver/nvidia/version}, null when there is no NVIDIA driver
 * @param deviceNodes {@code /dev/nvidia[0-9]*} device files present in the container
 * @param cudaVersion CUDA runtime version as DJL reports it, null without CUDA
 * @param devices one line per visible GPU: index, compute capability, memory
 */
public record GpuEnvironment(int gpusVisibleToEngine, String engineVersion, String nativeFlavour,
    String cudaVisibleDevices, String nvidiaVisibleDevices, String driver, List<String> deviceNodes, String cudaVersion,
    List<String> devices) {

  /** Looks: loads the PyTorch engine (offline) and reads the environment, /proc and /dev. */
  public static GpuEnvironment observe(Map<String, String> env) {
    Engine engine = Engine.getEngine("PyTorch");
    int gpus = engine.getGpuCount();
    String flavour = nativeFlavour(engine.getVersion(), env);
    String cuda = null;
    List<String> devices = new ArrayList<>();
    if (gpus > 0) {
      try {
        cuda = CudaUtils.getCudaVersionString();
      } catch (RuntimeException | UnsatisfiedLinkError e) {
        cuda = "unknown (" + e.getMessage() + ")";
      }
      for (int i = 0; i < gpus; i++) {
        try {
          MemoryUsage mem = CudaUtils.getGpuMemory(Device.gpu(i));
          devices.add("gpu(" + i + ") computeCapability=" + CudaUtils.getComputeCapability(i) + " memoryMiB="
              + mem.getMax() / (1 << 20) + " usedMiB=" + mem.getCommitted() / (1 << 20));
        } catch (RuntimeException | UnsatisfiedLinkError e) {
          devices.add("gpu(" + i + ") (details unavailable: " + e.getMessage() + ")");
        }
      }
    }
    return new GpuEnvironment(gpus, engine.getVersion(), flavour, env.get("CUDA_VISIBLE_DEVICES"),
        env.get("NVIDIA_VISIBLE_DEVICES"), driverLine(Path.of("/proc/driver/nvidia/version")),
        deviceNodes(Path.of("/dev")), cuda, devices);
  }

  /**
   * The flavour of the unpacked native library: {@code PYTORCH_FLAVOR} when set, else the flavour part of the
   * {@code DJL_CACHE_DIR/pytorch/<version>-<flavour>-<os>} folder DJL unpacked libtorch into.
   */
  static String nativeFlavour(String version, Map<String, String> env) {
    String forced = System.getProperty("PYTORCH_FLAVOR", env.get("PYTORCH_FLAVOR"));
    if (forced != null && !forced.isBlank()) {
      return forced;
    }
    String cache = System.getProperty("DJL_CACHE_DIR", env.get("DJL_CACHE_DIR"));
    Path dir = cache == null ? Path.of(System.getProperty("user.home"), ".djl.ai", "pytorch") : Path.of(cache, "pytorch");
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(version + "-")).sorted()
          .map(n -> n.replaceAll("^" + java.util.regex.Pattern.quote(version) + "-[0-9]+-", "").replaceAll("-linux.*$", ""))
          .findFirst().orElse("unknown");
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  static String driverLine(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file).stream().findFirst().map(String::strip).orElse(null) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static List<String> deviceNodes(Path dev) {
    try (var s = Files.list(dev)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("nvidia[0-9]+")).sorted().toList();
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  /** One line for logs and failure messages: what was found, so an operator can tell a node problem from an image problem. */
  public String describe() {
    return "PyTorch " + engineVersion + " (" + nativeFlavour + " native library) sees " + gpusVisibleToEngine + " GPU(s); "
        + "CUDA_VISIBLE_DEVICES=" + (cudaVisibleDevices == null ? "unset" : "'" + cudaVisibleDevices + "'")
        + ", NVIDIA_VISIBLE_DEVICES=" + (nvidiaVisibleDevices == null ? "unset" : "'" + nvidiaVisibleDevices + "'")
        + ", driver: " + (driver == null ? "none (no /proc/driver/nvidia/version)" : driver)
        + ", device files: " + (deviceNodes.isEmpty() ? "none" : String.join(" ", deviceNodes))
        + (cudaVersion == null ? "" : ", CUDA " + cudaVersion)
        + (devices.isEmpty() ? "" : ", " + String.join("; ", devices));
  }
}
