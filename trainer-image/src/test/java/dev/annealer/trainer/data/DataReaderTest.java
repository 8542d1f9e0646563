package dev.annealer.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annealer.trainer.TrainerFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataReaderTest {
  @TempDir
  Path dir;

  @Test
  void csvIsReadColumnwiseInFeatureOrder() throws Exception {
    Path f = dir.resolve("a.csv");
    Files.writeString(f, "y,b,a\n1.5,2,3\n-1,\"4\",5e-1\n");
    Dataset d = new DataReader(List.of("a", "b"), "y", false, l -> { }).read(f, "csv", "spec.data.train");
    assertThat(d.rows()).isEqualTo(2);
    assertThat(d.columns()[0]).containsExactly(3f, 0.5f);
    assertThat(d.columns()[1]).containsExactly(2f, 4f);
    assertThat(d.labels()).containsExactly(1.5f, -1f);
  }

  @Test
  void absentFeaturesMeanEveryColumnButTheLabel() throws Exception {
    Path f = dir.resolve("a.csv");
    Files.writeString(f, "x1,y,x0\n1,2,3\n");
    Dataset d = new DataReader(List.of(), "y", false, l -> { }).read(f, "csv", "spec.data.train");
    assertThat(d.featureNames()).containsExactly("x1", "x0");
    Path j = dir.resolve("a.jsonl");
    Files.writeString(j, "{\"b\": 1, \"y\": 0, \"a\": 2}\n{\"a\": 3, \"b\": 4, \"y\": 1}\n");
    Dataset dj = new DataReader(List.of(), "y", false, l -> { }).read(j, "jsonl", "spec.data.train");
    assertThat(dj.featureNames()).containsExactly("b", "a");
    assertThat(dj.columns()[1]).containsExactly(2f, 3f);
  }

  @Test
  void badCsvRecordNamesFileLineAndField() throws Exception {
    Path f = dir.resolve("bad.csv");
    Files.writeString(f, "x0,x1,y\n1,2,3\n1,oops,3\n");
    assertThatThrownBy(() -> new DataReader(List.of("x0", "x1"), "y", false, l -> { }).read(f, "csv", "spec.data.train"))
        .isInstanceOf(TrainerFailure.class)
        .hasMessageContaining(f + ":3")
        .hasMessageContaining("field 'x1' value 'oops'")
        .hasMessageContaining("spec.data.onBadRecord: skip")
        .extracting(e -> ((TrainerFailure) e).reason()).isEqualTo(TrainerFailure.Reason.BadRecord);
  }

  @Test
  void skipCountsAndReportsBadRecords() throws Exception {
    Path f = dir.resolve("bad.csv");
    Files.writeString(f, "x0,y\n1,2\nNaN,3\n4\n5,6\n");
    List<Long> lines = new ArrayList<>();
    Dataset d = new DataReader(List.of("x0"), "y", true, lines::add).read(f, "csv", "spec.data.train");
    assertThat(d.rows()).isEqualTo(2);
    assertThat(d.skipped()).isEqualTo(2);
    assertThat(lines).containsExactly(3L, 4L);
  }

  @Test
  void badJsonlRecordNamesFileLineAndField() throws Exception {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, "{\"x\": 1, \"y\": 2}\n{\"x\": 1}\n");
    assertThatThrownBy(() -> new DataReader(List.of("x"), "y", false, l -> { }).read(f, "jsonl", "spec.data.train"))
        .hasMessageContaining(f + ":2").hasMessageContaining("field 'y' is missing");
    Files.writeString(f, "{\"x\": \"a\", \"y\": 2}\n");
    assertThatThrownBy(() -> new DataReader(List.of("x"), "y", false, l -> { }).read(f, "jsonl", "spec.data.train"))
        .hasMessageContaining(f + ":1").hasMessageContaining("field 'x'");
  }

  @Test
  void unknownColumnAndMissingFileAreClearErrors() throws Exception {
    Path f = dir.resolve("a.csv");
    Files.writeString(f, "x0,y\n1,2\n");
    assertThatThrownBy(() -> new DataReader(List.of("x9"), "y", false, l -> { }).read(f, "csv", "spec.data.train"))
        .hasMessageContaining("spec.data.features names column 'x9'").hasMessageContaining("['x0', 'y']");
    assertThatThrownBy(() -> new DataReader(List.of("x0"), "y", false, l -> { }).read(dir.resolve("nope.csv"), "csv",
        "spec.data.validation"))
        .hasMessageContaining("spec.data.validation file").hasMessageContaining("does not exist")
        .extracting(e -> ((TrainerFailure) e).reason()).isEqualTo(TrainerFailure.Reason.MissingFile);
  }

  @Test
  void aUtf8ByteOrderMarkBeforeTheHeaderIsIgnored() throws Exception {
    Path f = dir.resolve("bom.csv");
    Files.writeString(f, "\uFEFFx0,y\n1,2\n");
    Dataset d = new DataReader(List.of("x0"), "y", false, l -> { }).read(f, "csv", "spec.data.train");
    assertThat(d.columns()[0]).containsExactly(1f);
    Path j = dir.resolve("bom.jsonl");
    Files.writeString(j, "\uFEFF{\"x0\": 1, \"y\": 2}\n");
    assertThat(new DataReader(List.of("x0"), "y", false, l -> { }).read(j, "jsonl", "spec.data.train").rows()).isEqualTo(1);
  }

  @Test
  void javaOnlyNumberSyntaxIsABadRecord() throws Exception {
    // Float.parseFloat takes "1.5f", "2d" and hex floats: no CSV writer means those
    for (String raw : List.of("1.5f", "2d", "0x1p3", "1_000")) {
      Path f = dir.resolve("java.csv");
      Files.writeString(f, "x0,y\n" + raw + ",1\n");
      assertThatThrownBy(() -> new DataReader(List.of("x0"), "y", false, l -> { }).read(f, "csv", "spec.data.train"))
          .as(raw).hasMessageContaining("field 'x0' value '" + raw + "' is not a finite number")
          .extracting(e -> ((TrainerFailure) e).reason()).isEqualTo(TrainerFailure.Reason.BadRecord);
    }
    Path ok = dir.resolve("ok.csv");
    Files.writeString(ok, "x0,y\n+1.5e3,-.5\n 2. ,7E-1\n");
    Dataset d = new DataReader(List.of("x0"), "y", false, l -> { }).read(ok, "csv", "spec.data.train");
    assertThat(d.columns()[0]).containsExactly(1500f, 2f);
    assertThat(d.labels()).containsExactly(-0.5f, 0.7f);
  }

  @Test
  void aColumnMissingFromTheFileIsRetryableAndShowsInvisibleCharacters() throws Exception {
    // spec.data is immutable after start, so the file is what the user fixes: a retry reads it again
    Path f = dir.resolve("a.csv");
    Files.writeString(f, "x0\u200B,y\n1,2\n");
    assertThatThrownBy(() -> new DataReader(List.of("x0"), "y", false, l -> { }).read(f, "csv", "spec.data.train"))
        .hasMessageContaining("'x0\\u200B'")
        .extracting(e -> ((TrainerFailure) e).reason()).isEqualTo(TrainerFailure.Reason.BadRecord);
  }

  @Test
  void millionRowsStayCompact() throws Exception {
    // 1M rows x 4 features: columns are float[], so the table itself is 20 MB; check the arrays, not the heap
    Path f = dir.resolve("big.csv");
    StringBuilder sb = new StringBuilder("a,b,c,d,y\n");
    for (int i = 0; i < 1_000_000; i++) {
      sb.append(i % 7).append(",1,2,3,").append(i % 5).append('\n');
    }
    Files.writeString(f, sb);
    sb = null;
    Dataset d = new DataReader(List.of("a", "b", "c", "d"), "y", false, l -> { }).read(f, "csv", "spec.data.train");
    assertThat(d.rows()).isEqualTo(1_000_000);
    for (float[] c : d.columns()) {
      assertThat(c).hasSize(1_000_000);
    }
    assertThat(d.labels()[999_999]).isEqualTo(999_999 % 5);
  }
}
