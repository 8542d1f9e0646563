package dev.annealer.trainer.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The committed quickstart data is exactly what the generator produces (regenerate with QuickstartData.main). */
class QuickstartDataTest {
  static final Path DATA = Path.of("..", "examples", "data");

  @Test
  void committedFilesMatchTheGenerator() throws Exception {
    assertThat(Files.readString(DATA.resolve("quickstart-train.csv")))
        .isEqualTo(QuickstartData.csv(QuickstartData.TRAIN_ROWS, 20261128L));
    assertThat(Files.readString(DATA.resolve("quickstart-val.csv")))
        .isEqualTo(QuickstartData.csv(QuickstartData.VAL_ROWS, 20261129L));
  }

  @Test
  void columnsAreWhatExamplesQuickstartYamlNames() throws Exception {
    assertThat(QuickstartData.csv(1, 1).lines().findFirst()).contains("f0,f1,f2,f3,f4,f5,f6,f7,y");
  }
}
