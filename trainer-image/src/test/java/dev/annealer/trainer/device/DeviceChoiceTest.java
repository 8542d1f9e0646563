package dev.annealer.trainer.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.annealer.trainer.TrainerFailure;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {
  static GpuEnvironment seen(int gpus, String flavour, String driver, List<String> nodes) {
    return new GpuEnvironment(gpus, "2.5.1", flavour, null, null, driver, nodes, gpus > 0 ? "12.4" : null, List.of());
  }

  @Test
  void cpuIsCpuWhateverTheSpecAsks() {
    assertThat(DeviceChoice.decide("cpu", 4, false, null).device()).isEqualTo(Device.cpu());
  }

  @Test
  void enoughVisibleGpusTrainOnTheFirst() {
    DeviceChoice.Decision d = DeviceChoice.decide("gpu", 2, false, seen(2, "cu124", "NVRM 550", List.of("nvidia0", "nvidia1")));
    assertThat(d.device()).isEqualTo(Device.gpu(0));
    assertThat(d.warning()).isNull();
  }

  @Test
  void fewerGpusThanRequestedIsNoGpuWithWhatWasFound() {
    assertThatThrownBy(() -> DeviceChoice.decide("gpu", 2, false, seen(1, "cu124", "NVRM 550", List.of("nvidia0"))))
        .isInstanceOfSatisfying(TrainerFailure.class, f -> {
          assertThat(f.reason()).isEqualTo(TrainerFailure.Reason.NoGPU);
          assertThat(f.exitCode()).isEqualTo(1);
          assertThat(f.getMessage()).contains("requested 2 GPU(s)", "sees 1 GPU(s)", "device files: nvidia0");
        });
  }

  @Test
  void cpuImageOnAGpuNodeSaysToUseTheCudaImage() {
    assertThatThrownBy(() -> DeviceChoice.decide("gpu", 1, false, seen(0, "cpu", "NVRM version: 550.54", List.of("nvidia0"))))
        .hasMessageContaining("use the -cu124 trainer image");
  }

  @Test
  void noDriverSaysToCheckTheNode() {
    assertThatThrownBy(() -> DeviceChoice.decide("gpu", 0, false, seen(0, "cu124", null, List.of())))
        .hasMessageContaining("requested 1 GPU(s)").hasMessageContaining("no NVIDIA driver");
  }

  @Test
  void fallbackIsAllowedOnlyBySpecAndWarns() {
    DeviceChoice.Decision d = DeviceChoice.decide("gpu", 1, true, seen(0, "cpu", null, List.of()));
    assertThat(d.device()).isEqualTo(Device.cpu());
    assertThat(d.warning()).contains("allowCpuFallback");
  }

  @Test
  void unknownDeviceNamesTheFlag() {
    assertThatThrownBy(() -> DeviceChoice.decide("tpu", 0, false, null)).hasMessageContaining("--device")
        .hasMessageContaining("tpu");
  }
}
