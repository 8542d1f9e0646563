package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.progress.ProgressServer;
import dev.annealer.trainer.tools.QuickstartData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A running trainer serves signed progress to the token holder, then a preemption request ends it with 75. */
class ProgressChannelTest {
  @TempDir
  Path dir;

  @Test
  void runningTrainerServesSignedProgressAndStopsOnPreemption() throws Exception {
    Files.writeString(dir.resolve("train.csv"), QuickstartData.csv(400, 1));
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: p, namespace: ns, uid: uid-7}
        spec:
          model: {source: "builtin:mlp?hidden=16"}
          data: {train: %s, label: "y"}
          training: {maxSteps: 10000000, batchSize: 16}
          optimizer: {learningRate: 1.0e-3}
          schedule: {type: CosineWarmRestarts, period: {steps: 100}}
        """.formatted(dir.resolve("train.csv")));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    Path term = dir.resolve("term");
    Preemption preemption = new Preemption();
    Map<String, String> env = Map.of("ANNEALER_PROGRESS_TOKEN", "tok", "POD_IP", "127.0.0.1", "ANNEALER_ATTEMPT", "3",
        "ANNEALER_TERMINATION_LOG", term.toString());
    CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> new TrainingRun(
        new TrainingRun.Options(job, dir.resolve("ck"), "cpu", 1000, 0, env, ps, ps, false), preemption).run());
    try {
      Pattern addr = Pattern.compile("event=progress-channel address=127\\.0\\.0\\.1:(\\d+) auth=bearer");
      int port = -1;
      for (int i = 0; i < 600 && port < 0; i++) {
        Matcher m = addr.matcher(out.toString(StandardCharsets.UTF_8));
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        } else {
          Thread.sleep(100);
        }
      }
      assertThat(port).as(out.toString(StandardCharsets.UTF_8)).isPositive();
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + port + "/v1/progress");
      assertThat(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(401);
      JsonNode body = null;
      for (int i = 0; i < 100; i++) {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer tok").build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Annealer-Signature")).contains("sha256=" + ProgressServer.hmacHex(r.body(), "tok"));
        body = new ObjectMapper().readTree(r.body());
        if (body.get("step").asLong() > 0) {
          break;
        }
        Thread.sleep(50);
      }
      assertThat(body.get("jobUid").asText()).isEqualTo("uid-7");
      assertThat(body.get("attempt").asInt()).isEqualTo(3);
      assertThat(body.get("step").asLong()).isPositive();
      assertThat(body.get("phase").asText()).isIn("Running", "Checkpointing");
      assertThat(body.get("learningRate").asDouble()).isPositive();
      String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("annealer_trainer_step ", "annealer_trainer_learning_rate ");
    } finally {
      preemption.request("TERM");
    }
    assertThat(run.get(60, TimeUnit.SECONDS)).isEqualTo(TrainingRun.EXIT_PREEMPTED);
    String msg = Files.readString(term);
    assertThat(msg).matches("checkpointed after preemption: step=\\d+ checkpoint=step-\\d{12}");
    assertThat(dir.resolve("ck/progress.json")).content().contains("\"phase\" : \"Done\"");
  }
}
