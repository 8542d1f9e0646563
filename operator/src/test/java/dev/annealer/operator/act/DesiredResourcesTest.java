package dev.annealer.operator.act;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.Jobs;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** desired() of every owned resource. */
class DesiredResourcesTest {

    private final FineTuneJob job = Jobs.sgdr();

    @Test
    void aRetainedCheckpointPvcIsNeverOwnedAlsoWhenSpecCheckpointIsAbsent() {
        // the CRD's default is Retain; the API server applies it only inside a present spec.checkpoint
        job.getSpec().setCheckpoint(null);
        PersistentVolumeClaim absent = DesiredResources.checkpointPvc(job);
        assertThat(absent.getMetadata().getOwnerReferences()).as("no owner: GC (TTL, kubectl delete, foreground) "
                + "cannot take it").isEmpty();
        assertThat(absent.getMetadata().getLabels()).containsEntry("annealer.dev/job", "ft");
        job.getSpec().setCheckpoint(new dev.annealer.api.v1alpha1.CheckpointSpec());
        job.getSpec().getCheckpoint().setReclaimPolicy(dev.annealer.api.v1alpha1.ReclaimPolicy.RETAIN);
        assertThat(DesiredResources.checkpointPvc(job).getMetadata().getOwnerReferences()).isEmpty();
        job.getSpec().getCheckpoint().setReclaimPolicy(dev.annealer.api.v1alpha1.ReclaimPolicy.DELETE);
        assertThat(DesiredResources.checkpointPvc(job).getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo(job.getMetadata().getUid()));
    }

    @Test
    void everyOwnedResourceHasAControllerOwnerReference() {
        job.getSpec().getCheckpoint().setReclaimPolicy(dev.annealer.api.v1alpha1.ReclaimPolicy.DELETE);
        for (HasMetadata r : new HasMetadata[] {DesiredResources.specConfigMap(job), DesiredResources.checkpointPvc(job),
                DesiredResources.progressSecret(job, "t"), DesiredResources.pod(job, 1, TrainerSettings.DEFAULT)}) {
            assertThat(r.getMetadata().getNamespace()).isEqualTo("team-a");
            assertThat(r.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
                assertThat(o.getController()).isTrue();
                assertThat(o.getBlockOwnerDeletion()).isTrue();
                assertThat(o.getKind()).isEqualTo("FineTuneJob");
                assertThat(o.getApiVersion()).isEqualTo("annealer.dev/v1alpha1");
                assertThat(o.getUid()).isEqualTo(job.getMetadata().getUid());
                assertThat(o.getName()).isEqualTo("ft");
            });
            assertThat(r.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "annealer-operator")
                    .containsEntry("annealer.dev/job", "ft");
        }
    }

    @Test
    void configMapHoldsTheWholeJob() {
        ConfigMap cm = DesiredResources.specConfigMap(job);
        assertThat(cm.getMetadata().getName()).isEqualTo("ft-spec");
        String yaml = cm.getData().get("job.yaml");
        FineTuneJob back = Serialization.unmarshal(yaml, FineTuneJob.class);
        assertThat(back.getApiVersion()).isEqualTo("annealer.dev/v1alpha1");
        assertThat(back.getKind()).isEqualTo("FineTuneJob");
        assertThat(back.getMetadata().getName()).isEqualTo("ft");
        assertThat(back.getMetadata().getNamespace()).isEqualTo("team-a");
        assertThat(back.getMetadata().getUid()).isEqualTo(job.getMetadata().getUid());
        assertThat(back.getMetadata().getGeneration()).isEqualTo(1L);
        assertThat(back.getSpec()).isEqualTo(job.getSpec());
        assertThat(back.getStatus()).isNull();
        // the trainer reads it with the shared validator, as kubectl would (label "y" must stay a string)
        assertThat(dev.annealer.api.FineTuneJobs.parse(yaml, "job.yaml").getSpec()).isEqualTo(job.getSpec());
        assertThat(DesiredResources.jobYaml(job)).as("stable").isEqualTo(DesiredResources.jobYaml(Jobs.sgdr()));
        assertThat(cm.getMetadata().getAnnotations()).containsEntry("annealer.dev/spec-version",
                job.getMetadata().getUid() + "/1");
    }

    @Test
    void pvcTakesSizeAndClassFromTheSpec() {
        PersistentVolumeClaim pvc = DesiredResources.checkpointPvc(job);
        assertThat(pvc.getMetadata().getName()).isEqualTo("ft-checkpoints");
        assertThat(pvc.getSpec().getResources().getRequests()).containsEntry("storage", new Quantity("20Gi"));
        assertThat(pvc.getSpec().getStorageClassName()).isEqualTo("fast-ssd");
        assertThat(pvc.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
        job.getSpec().getCheckpoint().setStorage(null);
        assertThat(DesiredResources.checkpointPvc(job).getSpec().getResources().getRequests())
                .containsEntry("storage", new Quantity("1Gi"));
    }

    @Test
    void secretHoldsTheToken() {
        Secret s = DesiredResources.progressSecret(job, "abc");
        assertThat(s.getMetadata().getName()).isEqualTo("ft-progress");
        assertThat(s.getStringData()).containsExactly(Map.entry("token", "abc"));
    }

    @Test
    void podFollowsTheTrainerContract() {
        Pod pod = DesiredResources.pod(job, 3, TrainerSettings.DEFAULT);
        assertThat(pod.getMetadata().getName()).isEqualTo("ft-3");
        assertThat(pod.getMetadata().getLabels())
                .as("the job's one Kueue Workload is what Kueue queues: a queue label on the pod would make Kueue's "
                        + "pod integration queue each attempt again")
                .doesNotContainKey("kueue.x-k8s.io/queue-name")
                .containsEntry("annealer.dev/attempt", "3").containsEntry("app", "support-encoder")
                .doesNotContainKey("team");
        var spec = pod.getSpec();
        assertThat(spec.getRestartPolicy()).isEqualTo("Never");
        assertThat(spec.getAutomountServiceAccountToken()).isFalse();
        assertThat(spec.getTerminationGracePeriodSeconds()).isEqualTo(90L);
        assertThat(spec.getPriorityClassName()).isEqualTo("batch-low");
        assertThat(spec.getNodeSelector()).containsEntry("nvidia.com/gpu.product", "H100");
        assertThat(spec.getTolerations()).singleElement().satisfies(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));
        assertThat(spec.getAffinity().getNodeAffinity()).isNotNull();
        assertThat(spec.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(spec.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(spec.getSecurityContext().getFsGroup()).isEqualTo(10001L);
        assertThat(spec.getSecurityContext().getRunAsUser()).as("the trainer image user").isEqualTo(10001L);

        Container c = spec.getContainers().get(0);
        assertThat(spec.getContainers()).hasSize(1);
        assertThat(c.getName()).isEqualTo("trainer");
        assertThat(c.getImage()).isEqualTo("ghcr.io/example/annealer-trainer:0.1.0");
        assertThat(c.getCommand()).as("the image's entrypoint annealer-trainer").isNullOrEmpty();
        assertThat(c.getArgs()).containsExactly("train", "-f", "/etc/annealer/job/job.yaml", "--checkpoint-dir",
                "/var/lib/annealer/checkpoints", "--device", "gpu");
        assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"))
                .containsEntry("memory", new Quantity("32Gi"));
        assertThat(c.getResources().getRequests()).containsEntry("cpu", new Quantity("8"))
                .containsEntry("memory", new Quantity("32Gi"));
        var sc = c.getSecurityContext();
        assertThat(sc.getRunAsNonRoot()).isTrue();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(c.getTerminationMessagePath()).isEqualTo("/dev/termination-log");
        assertThat(c.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8080));

        Map<String, EnvVar> env = c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
        assertThat(env.get("ANNEALER_JOB_NAME").getValue()).isEqualTo("ft");
        assertThat(env.get("ANNEALER_JOB_NAMESPACE").getValue()).isEqualTo("team-a");
        assertThat(env.get("ANNEALER_ATTEMPT").getValue()).isEqualTo("3");
        assertThat(env.get("POD_IP").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        assertThat(env.get("ANNEALER_PROGRESS_PORT").getValue()).isEqualTo("8080");
        assertThat(env.get("ANNEALER_PROGRESS_TOKEN").getValueFrom().getSecretKeyRef().getName()).isEqualTo("ft-progress");
        assertThat(env.get("ANNEALER_PROGRESS_TOKEN").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
        assertThat(env.get("ANNEALER_GRACE_SECONDS").getValue()).isEqualTo("90");
        assertThat(env.get("ANNEALER_TERMINATION_LOG").getValue()).isEqualTo("/dev/termination-log");
        assertThat(env.get("TMPDIR").getValue()).isEqualTo("/tmp");
        assertThat(env.get("DJL_CACHE_DIR").getValue()).as("the baked cache of the image").isEqualTo("/opt/annealer/djl-cache");

        Map<String, VolumeMount> mounts = c.getVolumeMounts().stream().collect(Collectors.toMap(VolumeMount::getMountPath, m -> m));
        Map<String, Volume> volumes = spec.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
        assertThat(volumes.get(mounts.get("/etc/annealer/job").getName()).getConfigMap().getName()).isEqualTo("ft-spec");
        assertThat(volumes.get(mounts.get("/var/lib/annealer/checkpoints").getName()).getPersistentVolumeClaim().getClaimName())
                .isEqualTo("ft-checkpoints");
        assertThat(volumes.get(mounts.get("/tmp").getName()).getEmptyDir()).isNotNull();
        assertThat(mounts.get("/mnt/pvc/models").getReadOnly()).isTrue();
        assertThat(volumes.get(mounts.get("/mnt/pvc/models").getName()).getPersistentVolumeClaim().getReadOnly()).isTrue();
        assertThat(mounts).containsKey("/mnt/pvc/datasets");
        assertThat(c.getVolumeMounts()).hasSize(5);
    }

    @Test
    void cpuJobsGetNoGpuAndTheDefaults() {
        job.getSpec().getResources().setGpus(0);
        job.getSpec().getTemplate().setImage(null);
        job.getSpec().getTemplate().setTerminationGracePeriodSeconds(null);
        Pod pod = DesiredResources.pod(job, 1, TrainerSettings.DEFAULT);
        Container c = pod.getSpec().getContainers().get(0);
        assertThat(c.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
        assertThat(c.getArgs()).endsWith("--device", "cpu");
        assertThat(c.getImage()).isEqualTo(TrainerSettings.DEFAULT.cpuImage());
        assertThat(pod.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(120L);
    }


    /** pvc://my.data/x is a valid claim (DNS subdomain) but "pvc-my.data" is no valid volume name (DNS label). */
    @Test
    void inputVolumeNamesAreValidLabelsAndDistinctWhateverTheClaimName() {
        FineTuneJob job = Jobs.sgdr();
        String longClaim = "c" + "x".repeat(250);
        job.getSpec().getModel().setSource("pvc://my.data/model.pt");
        job.getSpec().getData().setTrain("pvc://my-data/train.csv");
        job.getSpec().getData().setValidation("pvc://" + longClaim + "/val.csv");
        Pod pod = DesiredResources.pod(job, 1, TrainerSettings.DEFAULT);
        var label = java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        var inputs = pod.getSpec().getVolumes().stream().filter(v -> v.getPersistentVolumeClaim() != null
                && !v.getPersistentVolumeClaim().getClaimName().equals("ft-checkpoints")).toList();
        assertThat(inputs).extracting(v -> v.getPersistentVolumeClaim().getClaimName())
                .containsExactly("my.data", "my-data", longClaim);
        assertThat(inputs).extracting(Volume::getName).doesNotHaveDuplicates().allSatisfy(n -> {
            assertThat(n.length()).isLessThanOrEqualTo(63);
            assertThat(n).matches(label);
        });
        // a plain claim keeps its readable name
        assertThat(inputs.get(1).getName()).isEqualTo("pvc-my-data");
        // mounts follow their volumes
        var mountNames = pod.getSpec().getContainers().get(0).getVolumeMounts().stream().map(VolumeMount::getName).toList();
        assertThat(mountNames).containsAll(inputs.stream().map(Volume::getName).toList());
    }

    @Test
    void everyWorkerOfTwoIsAPodWithThePerWorkerResourcesAndTorchrunsEnvironment() {
        job.getSpec().getResources().setGpus(1);
        job.getSpec().getResources().setCpu(new io.fabric8.kubernetes.api.model.Quantity("1500m"));
        job.getSpec().getResources().setMemory(new io.fabric8.kubernetes.api.model.Quantity("3Gi"));
        job.getSpec().setWorkers(2);
        Pod rank0 = DesiredResources.pod(job, 3, TrainerSettings.DEFAULT);
        Pod rank1 = DesiredResources.workerPod(job, 3, 1, "10.1.2.3", TrainerSettings.DEFAULT);
        assertThat(rank0.getMetadata().getName()).isEqualTo("ft-3");
        assertThat(rank1.getMetadata().getName()).isEqualTo("ft-3-w1");
        assertThat(rank0.getMetadata().getLabels()).containsEntry(DesiredResources.LABEL_WORKER_RANK, "0")
                .containsEntry(DesiredResources.LABEL_ATTEMPT, "3");
        assertThat(rank1.getMetadata().getLabels()).containsEntry(DesiredResources.LABEL_WORKER_RANK, "1")
                .containsEntry(DesiredResources.LABEL_ATTEMPT, "3");
        for (Pod p : java.util.List.of(rank0, rank1)) {
            Container c = p.getSpec().getContainers().get(0);
            // spec.resources is per worker: each pod asks for one worker's share
            assertThat(c.getResources().getLimits().get("nvidia.com/gpu").getAmount()).isEqualTo("1");
            assertThat(c.getResources().getRequests().get("cpu").getNumericalAmount()).isEqualByComparingTo("1.5");
            assertThat(c.getResources().getLimits().get("memory").getNumericalAmount())
                    .isEqualByComparingTo(new java.math.BigDecimal(3L * 1024 * 1024 * 1024));
            // every worker mounts the one checkpoint PVC (rank 0 writes, every rank resumes from it)
            assertThat(p.getSpec().getVolumes()).filteredOn(v -> v.getPersistentVolumeClaim() != null)
                    .extracting(v -> v.getPersistentVolumeClaim().getClaimName()).contains("ft-checkpoints");
            assertThat(p.getSpec().getRestartPolicy()).isEqualTo("Never");
        }
        Map<String, EnvVar> env0 = rank0.getSpec().getContainers().get(0).getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, e -> e));
        Map<String, EnvVar> env1 = rank1.getSpec().getContainers().get(0).getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, e -> e));
        assertThat(env0.get("WORLD_SIZE").getValue()).isEqualTo("2");
        assertThat(env0.get("RANK").getValue()).isEqualTo("0");
        assertThat(env0.get("LOCAL_RANK").getValue()).isEqualTo("0");
        // rank 0 serves the TCPStore on its own pod IP
        assertThat(env0.get("MASTER_ADDR").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        assertThat(env0.get("MASTER_PORT").getValue()).isEqualTo("29500");
        assertThat(env1.get("WORLD_SIZE").getValue()).isEqualTo("2");
        assertThat(env1.get("RANK").getValue()).isEqualTo("1");
        assertThat(env1.get("LOCAL_RANK").getValue()).isEqualTo("0");
        assertThat(env1.get("MASTER_ADDR").getValue()).isEqualTo("10.1.2.3");
        assertThat(env1.get("MASTER_PORT").getValue()).isEqualTo("29500");
    }

    @Test
    void oneWorkerGetsNoRankLabelAndNoDistributedEnvironment() {
        Pod pod = DesiredResources.pod(job, 1, TrainerSettings.DEFAULT);
        assertThat(pod.getMetadata().getLabels()).doesNotContainKey(DesiredResources.LABEL_WORKER_RANK);
        assertThat(pod.getSpec().getContainers().get(0).getEnv()).extracting(EnvVar::getName)
                .doesNotContain("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT");
    }

    @Test
    void aWorkerPodNeedsARankAndTheRendezvousAddress() {
        job.getSpec().setWorkers(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DesiredResources.workerPod(job, 1, 0, "10.0.0.1",
                TrainerSettings.DEFAULT)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank 0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DesiredResources.workerPod(job, 1, 1, null,
                TrainerSettings.DEFAULT)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("masterAddr");
    }

    @Test
    void theKueueWorkloadOfTwoWorkersAsksForTwoPodsAtOnce() {
        job.getSpec().setWorkers(2);
        var w = KueueWorkloads.desired(job, DesiredResources.pod(job, 1, TrainerSettings.DEFAULT).getSpec(),
                java.util.Optional.empty());
        @SuppressWarnings("unchecked")
        var podSets = (java.util.List<Map<String, Object>>) ((Map<String, Object>) w.getAdditionalProperties().get("spec"))
                .get("podSets");
        assertThat(podSets).singleElement().satisfies(ps -> assertThat(ps.get("count")).isEqualTo(2));
        job.getSpec().setWorkers(1);
        podSets = (java.util.List<Map<String, Object>>) ((Map<String, Object>) KueueWorkloads.desired(job,
                DesiredResources.pod(job, 1, TrainerSettings.DEFAULT).getSpec(), java.util.Optional.empty())
                .getAdditionalProperties().get("spec")).get("podSets");
        assertThat(podSets).singleElement().satisfies(ps -> assertThat(ps.get("count")).isEqualTo(1));
    }
}
