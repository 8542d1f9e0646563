package dev.annealer.trainer.device;

import ai.djl.Device;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainerFailure.Reason;

/**
 * Decides the training device from what was asked and what is visible. Pure: no engine, no environment.
 *
 * <p>{@code --device cpu} always trains on CPU (a local run of a GPU manifest). {@code --device gpu} (what the operator
 * passes when {@code spec.resources.gpus > 0}) needs {@code max(1, spec.resources.gpus)} GPUs visible to libtorch;
 * fewer is the failure {@code NoGPU} naming what was requested and what was found, unless
 * {@code spec.resources.allowCpuFallback} says to train on CPU. Never a silent fallback: a GPU job on CPU runs tens of
 * times slower on an expensive node.
 */
public final class DeviceChoice {

  /**
   * @param device the device to train on
   * @param warning non-null when the choice deserves a warning (a fallback the spec allowed)
   */
  public record Decision(Device device, String warning) {}

  private DeviceChoice() {}

  public static Decision decide(String wanted, int requestedGpus, boolean allowCpuFallback, GpuEnvironment seen) {
    if (wanted == null || wanted.equals("cpu")) {
      return new Decision(Device.cpu(), null);
    }
    if (!wanted.equals("gpu")) {
      throw TrainerFailure.invalid("--device", wanted, "must be cpu or gpu");
    }
    int needed = Math.max(1, requestedGpus);
    if (seen.gpusVisibleToEngine() >= needed) {
      return new Decision(Device.gpu(0), null);
    }
    String found = "requested " + needed + " GPU(s) (spec.resources.gpus=" + requestedGpus + ", --device gpu) but "
        + seen.describe();
    if (allowCpuFallback) {
      return new Decision(Device.cpu(), found + "; training on CPU because spec.resources.allowCpuFallback is true");
    }
    throw new TrainerFailure(Reason.NoGPU, found + ": "
        + hint(seen) + ", or set spec.resources.allowCpuFallback: true to train on CPU instead");
  }

  private static String hint(GpuEnvironment seen) {
    if (seen.driver() != null && seen.nativeFlavour().equals("cpu")) {
      return "the node has a driver but the trainer image carries the CPU-only libtorch: use the -cu124 trainer image "
          + "(the operator picks it for gpus > 0 unless spec.template.image overrides it)";
    }
    if (seen.driver() == null && seen.deviceNodes().isEmpty()) {
      return "no NVIDIA driver or device file is visible in the container: check the node's GPU driver and the NVIDIA "
          + "container toolkit / device plugin (the attempt is counted as a failure and retried on a new pod)";
    }
    return "the GPUs exist on the node but are not usable from the container: check CUDA_VISIBLE_DEVICES, the device "
        + "plugin's allocation and the driver version (CUDA 12.4 needs driver >= 550 or the forward-compat package)";
  }
}
