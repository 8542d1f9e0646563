package dev.annealer.e2e;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Data-parallel workers as a gang, end to end: a 2-worker job (tiny Llama LoRA, CPU, Gloo) runs as pods
 * {@code dp-1} (rank 0) and {@code dp-1-w1} (rank 1, rendezvous at rank 0's pod IP); rank 1's pod is deleted mid-run
 * (SIGTERM: the workers agree on the step, rank 0 writes the checkpoint, both exit 75); the operator counts one
 * preemption, stops the group, recreates both workers, and the job Succeeds with the uninterrupted 2-worker run's
 * final {@code paramsSha256}.
 */
@ExtendWith(E2eExtension.class)
class WorkerGroupPreemptionE2E {

    @Test
    void aDeletedWorkerRestartsTheWholeGroupWhichResumesExactly(E2eEnvironment env) throws Exception {
        KubernetesClient c = env.client();
        String ns = env.namespace("e2e-workers");
        String job = "dp";
        Path model = env.root().resolve("trainer-image/src/test/resources/hf/llama-lora");
        Path manifest = env.out().resolve("manifests").resolve(ns + ".yaml");
        Files.createDirectories(manifest.getParent());
        Files.writeString(manifest, """
                apiVersion: annealer.dev/v1alpha1
                kind: FineTuneJob
                metadata: {name: %s}
                spec:
                  workers: 2
                  model:
                    source: %s
                    format: huggingface
                    lora: {rank: 4, alpha: 8, targetModules: [q_proj, v_proj], initFrom: %s}
                  data:
                    train: %s
                    format: jsonl
                    task: causalLM
                    prompt: prompt
                    completion: completion
                    maxLength: 48
                  training: {maxSteps: 1500, batchSize: 4, seed: 5}
                  optimizer: {type: AdamW, learningRate: 0.005, weightDecay: 0.01, gradientClipNorm: 1.0}
                  schedule:
                    type: CosineWarmRestarts
                    warmup: {steps: 20, startFactor: 0.1}
                    period: {steps: 200}
                    periodMultiplier: 2
                    minLearningRate: 1.0e-5
                  checkpoint: {everySteps: 100, keepLast: 2}
                  resources: {gpus: 0, cpu: "1", memory: 2Gi}
                """.formatted(job, model.resolve("model"), model.resolve("adapter-init"), model.resolve("train.jsonl")));
        var apply = env.kubectl("apply", "-n", ns, "-f", manifest.toString());
        assertThat(apply.ok()).as(apply.describe()).isTrue();

        // 1. Both workers run as one gang; rank 1 found rank 0 at its pod IP.
        env.await("both workers training, status.step >= 50", Duration.ofMinutes(5), ns, job, () -> {
            GenericKubernetesResource j = env.job(ns, job).get();
            if ("Failed".equals(status(j, "phase")) || "Succeeded".equals(status(j, "phase"))) {
                throw new AssertionError("job ended before the preemption:\n" + env.dump(ns, job));
            }
            return "Running".equals(status(j, "phase")) && statusLong(j, "step") >= 50;
        });
        Pod rank0 = c.pods().inNamespace(ns).withName("dp-1").get();
        Pod rank1 = c.pods().inNamespace(ns).withName("dp-1-w1").get();
        Map<String, String> env1 = rank1.getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertThat(env1).containsEntry("WORLD_SIZE", "2").containsEntry("RANK", "1")
                .containsEntry("MASTER_ADDR", rank0.getStatus().getPodIP());
        String jobYaml = c.configMaps().inNamespace(ns).withName(job + "-spec").get().getData().get("job.yaml");
        CompletableFuture<TrainerLog> reference = CompletableFuture.supplyAsync(() -> env.uninterrupted(job, jobYaml));

        // 2. Rank 1's pod is deleted (SIGTERM): one preemption for the whole attempt.
        c.pods().inNamespace(ns).withName("dp-1-w1").delete();
        env.await("preemption recorded", Duration.ofMinutes(2), ns, job,
                () -> statusLong(env.job(ns, job).get(), "preemptions") == 1);

        // 3. The group comes back as attempt 2 and the job succeeds.
        env.await("job Succeeded", Duration.ofMinutes(8), ns, job, () -> {
            Object phase = status(env.job(ns, job).get(), "phase");
            if ("Failed".equals(phase)) {
                throw new AssertionError("job Failed:\n" + env.dump(ns, job));
            }
            return "Succeeded".equals(phase);
        });
        GenericKubernetesResource done = env.job(ns, job).get();
        assertThat(statusLong(done, "preemptions")).isEqualTo(1);
        assertThat(statusLong(done, "failures")).isZero();
        assertThat(statusLong(done, "attempt")).isEqualTo(2);
        assertThat(env.podsEverSeen(ns, job + "-")).as("trainer pods")
                .containsExactlyInAnyOrder("dp-1", "dp-1-w1", "dp-2", "dp-2-w1");

        Pod first = env.lastSeen(ns, "dp-1");
        assertThat(first.getStatus().getContainerStatuses().get(0).getState().getTerminated().getExitCode())
                .as("rank 0 checkpointed after its peer's SIGTERM").isEqualTo(75);
        TrainerLog log1 = TrainerLog.parse(env.podLogText(ns, "dp-1"));
        TrainerLog log2 = TrainerLog.parse(env.podLogText(ns, "dp-2"));
        assertThat(log1.preemptedAt()).isPresent();
        assertThat(log2.resumedAt()).as("attempt 2 resumes from the SIGTERM checkpoint").isEqualTo(log1.preemptedAt());

        String finalMessage = String.valueOf(status(done, "lastTerminationMessage"));
        TrainerLog ref = reference.get(10, TimeUnit.MINUTES);
        System.err.printf("e2e: job=%s preemptions=%d failures=%d preemptedAt=%s paramsSha256=%s reference=%s%n", job,
                statusLong(done, "preemptions"), statusLong(done, "failures"), log1.preemptedAt(),
                TrainerLog.field(finalMessage, "paramsSha256").orElse(null), ref.paramsSha256().orElse(null));
        assertThat(TrainerLog.field(finalMessage, "paramsSha256")).as("the uninterrupted 2-worker run's weights")
                .isPresent().isEqualTo(ref.paramsSha256());
    }
}
