package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.JobSchedules;
import dev.annealer.schedule.Schedule;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulePreviewTest {

    static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void terminalPreviewShowsTheChartAndTheCycleTable() {
        Cli r = Cli.run("schedule", "preview", "-f", Cli.example("quickstart.yaml"));
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("quickstart: CosineWarmRestarts, 1725 steps", "fingerprint sha256:");
        assertThat(r.out()).contains("▒", "█", "^ cycle boundary");
        assertThat(r.out()).containsPattern("warmup\\s+0\\s+100\\s+0\\.00300000");
        assertThat(r.out()).containsPattern("cycle 0\\s+100\\s+200\\s+0\\.00300000");
        assertThat(r.out()).containsPattern("cycle 1\\s+300\\s+300\\s+0\\.00210000");
        assertThat(r.out()).containsPattern("cycle 2\\s+600\\s+450\\s+0\\.00147000");
        assertThat(r.out()).containsPattern("cycle 3\\s+1050\\s+675\\s+0\\.00102900");
        assertThat(r.out()).contains("training ends at step 1724, the last step of cycle 3, at LR 1.00e-05");
    }

    @Test
    void stepsBeyondTheBudgetShowTheHoldAndWhereTrainingEnds() {
        Cli r = Cli.run("schedule", "preview", "-f", Cli.example("quickstart.yaml"), "--steps", "2000", "--width", "40");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).containsPattern("hold\\s+1725\\s+-");
        String row = r.out().lines().filter(l -> l.contains("┤")).findFirst().orElseThrow();
        assertThat(row.substring(row.indexOf('┤') + 1)).hasSize(40);
    }

    @Test
    void pngPreviewRendersAValidImageWithWarmupShadingAndTheCurve(@TempDir Path tmp) throws IOException {
        Path png = tmp.resolve("quickstart.png");
        Cli r = Cli.run("schedule", "preview", "-f", Cli.example("quickstart.yaml"), "--out", png.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote " + png, "4 cycle boundaries");
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes.length).isGreaterThan(5_000);
        assertThat(java.util.Arrays.copyOf(bytes, 8)).isEqualTo(PNG_MAGIC);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).isNotNull();
        assertThat(img.getWidth()).isEqualTo(1000);
        assertThat(img.getHeight()).isEqualTo(480);
        int orange = 0;
        int blue = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int rr = (rgb >> 16) & 0xff;
                int gg = (rgb >> 8) & 0xff;
                int bb = rgb & 0xff;
                if (rr > 240 && gg > 190 && gg < 235 && bb < 190) {
                    orange++; // the translucent warmup fill on white
                }
                if (Math.abs(rr - 31) < 25 && Math.abs(gg - 119) < 25 && Math.abs(bb - 180) < 25) {
                    blue++; // the learning-rate line
                }
            }
        }
        assertThat(orange).as("warmup shading pixels").isGreaterThan(1_000);
        assertThat(blue).as("LR curve pixels").isGreaterThan(1_000);
    }

    @Test
    void svgPreviewIsAnSvgDocument(@TempDir Path tmp) throws IOException {
        Path svg = tmp.resolve("quickstart.svg");
        Cli r = Cli.run("schedule", "preview", "-f", Cli.example("quickstart.yaml"), "--out", svg.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        String text = Files.readString(svg);
        assertThat(text).contains("<svg").contains("</svg>");
    }

    @Test
    void lrOfAJobIsTheEngineOfThatJob() {
        Cli r = Cli.run("schedule", "lr", "-f", Cli.example("quickstart.yaml"), "--steps", "1725");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines).hasSize(1725);
        Schedule s = JobSchedules.schedule(FineTuneJobs.read(Path.of(Cli.example("quickstart.yaml"))), null);
        for (int i = 0; i < lines.length; i++) {
            assertThat(Double.parseDouble(lines[i])).isEqualTo(s.lr(i));
        }
        assertThat(lines[100]).isEqualTo("0.003");
        assertThat(Cli.run("schedule", "lr", "-f", Cli.example("quickstart.yaml"), "--steps", "0").out()).isEmpty();
    }

    @Test
    void constantAndContinuingCosineSchedulesAreDescribedAsSuch(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws IOException {
        String q = Files.readString(Path.of(Cli.example("quickstart.yaml")));
        String head = q.substring(0, q.indexOf("  schedule:"));
        String tail = q.substring(q.indexOf("  checkpoint:"));
        Path constant = tmp.resolve("constant.yaml");
        Files.writeString(constant, head + "  schedule:\n    type: Constant\n    warmup: {steps: 50}\n" + tail);
        Cli c = Cli.run("schedule", "preview", "-f", constant.toString());
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(c.out()).containsPattern("constant\\s+50\\s+-").contains("at the constant LR 0.00300");
        Path cosine = tmp.resolve("cosine.yaml");
        Files.writeString(cosine, head + "  schedule:\n    type: Cosine\n    afterHorizon: Continue\n"
                + "    horizon: {steps: 500}\n" + tail);
        Cli k = Cli.run("schedule", "preview", "-f", cosine.toString());
        assertThat(k.exitCode()).as(k.err()).isZero();
        assertThat(k.out()).contains("1725 steps into cycle 0 of 500 (following the cosine past its horizon)");
    }

    @Test
    void epochBasedJobsPreviewWithAnEpochSize() {
        Cli r = Cli.run("schedule", "preview", "-f", Cli.example("torchscript-finetune.yaml"), "--steps-per-epoch", "100");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("reference-mlp-head: Cosine, 1000 steps").containsPattern("warmup\\s+0\\s+50");
    }
}
