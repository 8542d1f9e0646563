package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.trainer.LrSuggestions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code annealer lr-find}: a real local range test, then the manifest with the suggestion in it. */
class LrFindCommandTest {

    private static Path job(Path dir, String schedule) throws IOException {
        Random rnd = new Random(7);
        StringBuilder csv = new StringBuilder("a,b,y\n");
        for (int i = 0; i < 256; i++) {
            double a = rnd.nextGaussian();
            double b = rnd.nextGaussian();
            csv.append(String.format(Locale.ROOT, "%.6f,%.6f,%.6f%n", a, b, 2 * a - b + 0.1 * rnd.nextGaussian()));
        }
        Files.writeString(dir.resolve("train.csv"), csv);
        Path f = dir.resolve("job.yaml");
        Files.writeString(f, """
                apiVersion: annealer.dev/v1alpha1
                kind: FineTuneJob
                metadata:
                  name: tiny
                spec:
                  model: {source: "builtin:mlp?hidden=16"}
                  data: {train: "%s", format: csv, label: "y", task: regression}
                  training: {maxSteps: 500, batchSize: 16, seed: 3}
                  optimizer: {type: AdamW, learningRate: 0.5}
                  schedule: %s
                """.formatted(dir.resolve("train.csv").toAbsolutePath(), schedule));
        return f;
    }

    @Test
    void printsTheManifestWithTheValleySuggestionAndTheMinRatio(@TempDir Path tmp) throws IOException {
        Path f = job(tmp, "{type: Cosine, minLearningRate: 0.001}");
        Cli r = Cli.run("lr-find", "-f", f.toString(), "--steps", "120", "--min-lr-ratio", "0.01",
                "--out-dir", tmp.resolve("out").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        // stdout is the manifest alone: it parses, keeps everything else, and carries the suggestion
        FineTuneJob printed = FineTuneJobs.parse(r.out(), "stdout");
        List<String> csv = Files.readAllLines(tmp.resolve("out/lr-range-test.csv"));
        double[] lrs = csv.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[1])).toArray();
        double[] smooth = csv.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[3])).toArray();
        double valley = LrSuggestions.of(lrs, smooth, 120).valley().learningRate();
        double lr = printed.getSpec().getOptimizer().getLearningRate();
        assertThat(lr).isEqualTo(LrFindCommand.threeDigits(valley));
        assertThat(printed.getSpec().getSchedule().getMinLearningRate()).isEqualTo(LrFindCommand.threeDigits(lr * 0.01));
        assertThat(printed.getSpec().getTraining().getMaxSteps()).isEqualTo(500L);
        assertThat(printed.getSpec().getTraining().getMode()).isNull();
        assertThat(r.out()).contains("label: \"y\"").doesNotContain("event=");
        assertThat(r.err()).contains("lr-find: valley learningRate=" + lr + " (was 0.5)")
                .contains(tmp.resolve("out/lr-range-test.png").toString());
        assertThat(tmp.resolve("out/lr-range-test.png")).isNotEmptyFile();
    }

    @Test
    void anotherRuleAndKeepingTheRatio(@TempDir Path tmp) throws IOException {
        Path f = job(tmp, "{type: Cosine, minLearningRate: 0.005}");
        Cli r = Cli.run("lr-find", "-f", f.toString(), "--steps", "60", "--rule", "minimum", "--min-lr-ratio", "keep",
                "--out-dir", tmp.resolve("out").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        FineTuneJob printed = FineTuneJobs.parse(r.out(), "stdout");
        double lr = printed.getSpec().getOptimizer().getLearningRate();
        assertThat(r.err()).contains("lr-find: minimum learningRate=" + lr);
        assertThat(printed.getSpec().getSchedule().getMinLearningRate())
                .isEqualTo(LrFindCommand.threeDigits(lr * 0.005 / 0.5));
    }

    @Test
    void badOptionsNameTheOptionAndTheFix(@TempDir Path tmp) throws IOException {
        Path f = job(tmp, "{type: Constant}");
        Cli rule = Cli.run("lr-find", "-f", f.toString(), "--rule", "fastest");
        assertThat(rule.exitCode()).isEqualTo(2);
        assertThat(rule.err()).contains("--rule must be one of valley, steep, minimum, slide (got fastest)");
        Cli ratio = Cli.run("lr-find", "-f", f.toString(), "--min-lr-ratio", "0.1");
        assertThat(ratio.exitCode()).isEqualTo(2);
        assertThat(ratio.err()).contains("--min-lr-ratio").contains("spec.schedule.type is Constant");
        Cli steps = Cli.run("lr-find", "-f", f.toString(), "--steps", "5");
        assertThat(steps.exitCode()).isEqualTo(2);
        assertThat(steps.err()).contains("--steps must be >= 20 (got 5)");
        assertThat(rule.err() + ratio.err() + steps.err()).doesNotContain("\tat ");
    }
}
