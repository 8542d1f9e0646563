package dev.annealer.trainer.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** torchrun's environment: one worker without WORLD_SIZE, a clear error naming the variable for bad values. */
class WorkerEnvTest {

  @Test
  void noWorldSizeOrOneIsASingleWorker() {
    assertThat(WorkerEnv.of(Map.of())).isEqualTo(WorkerEnv.SINGLE);
    assertThat(WorkerEnv.of(Map.of("WORLD_SIZE", "1", "RANK", "0")).distributed()).isFalse();
  }

  @Test
  void readsTorchrunsVariables() {
    WorkerEnv w = WorkerEnv.of(Map.of("WORLD_SIZE", "4", "RANK", "3", "LOCAL_RANK", "1", "MASTER_ADDR", "job-0.svc",
        "MASTER_PORT", "29500"));
    assertThat(w).isEqualTo(new WorkerEnv(4, 3, 1, "job-0.svc", 29500));
    assertThat(w.distributed()).isTrue();
  }

  @Test
  void badValuesNameTheVariableAndTheFix() {
    assertThatThrownBy(() -> WorkerEnv.of(Map.of("WORLD_SIZE", "2", "RANK", "2", "MASTER_ADDR", "h", "MASTER_PORT", "1")))
        .hasMessageContaining("RANK=2 is not an integer in [0, 1]");
    assertThatThrownBy(() -> WorkerEnv.of(Map.of("WORLD_SIZE", "two")))
        .hasMessageContaining("WORLD_SIZE=two is not an integer");
    assertThatThrownBy(() -> WorkerEnv.of(Map.of("WORLD_SIZE", "2", "RANK", "0", "MASTER_PORT", "29500")))
        .hasMessageContaining("MASTER_ADDR is not set");
    assertThatThrownBy(() -> WorkerEnv.of(Map.of("WORLD_SIZE", "2", "RANK", "0", "MASTER_ADDR", "h")))
        .hasMessageContaining("MASTER_PORT is not set");
  }
}
