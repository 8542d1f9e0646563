package dev.annealer.operator.observe;

import dev.annealer.operator.Jobs;
import dev.annealer.operator.act.DesiredResources;
import dev.annealer.operator.act.TrainerSettings;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ObserverTest {

    /** The live fallback GET by name must not adopt a pod of an earlier job that had the same name. */
    @Test
    void theFallbackLookupOnlyTakesAPodThisJobControls() {
        var job = Jobs.sgdr();
        Pod ours = DesiredResources.pod(job, 1, TrainerSettings.DEFAULT);
        assertThat(Observer.controlledBy(ours, job.getMetadata().getUid())).isTrue();

        Pod stranger = DesiredResources.pod(job, 1, TrainerSettings.DEFAULT);
        stranger.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder(
                stranger.getMetadata().getOwnerReferences().get(0)).withUid("uid-of-a-deleted-job").build()));
        assertThat(Observer.controlledBy(stranger, job.getMetadata().getUid())).isFalse();

        Pod orphan = DesiredResources.pod(job, 1, TrainerSettings.DEFAULT);
        orphan.getMetadata().setOwnerReferences(null);
        assertThat(Observer.controlledBy(orphan, job.getMetadata().getUid())).isFalse();
    }

    /** spec.workers > 1: the other workers of the job (any attempt) come along; strangers and rank 0 do not. */
    @Test
    void theOtherWorkersOfAGangAreObservedOnlyForSeveralWorkers() {
        var job = Jobs.sgdr();
        job.getSpec().setWorkers(2);
        Pod rank0 = DesiredResources.pod(job, 2, TrainerSettings.DEFAULT);
        Pod rank1 = DesiredResources.workerPod(job, 2, 1, "10.0.0.1", TrainerSettings.DEFAULT);
        Pod earlier = DesiredResources.workerPod(job, 1, 1, "10.0.0.2", TrainerSettings.DEFAULT);
        Pod stranger = DesiredResources.workerPod(job, 2, 1, "10.0.0.3", TrainerSettings.DEFAULT);
        stranger.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder(
                stranger.getMetadata().getOwnerReferences().get(0)).withUid("uid-of-a-deleted-job").build()));
        var seen = Observer.otherPods(job, "ft-2", List.of(rank0, rank1, earlier, stranger));
        assertThat(seen).extracting(PodSnapshot::name).containsExactly("ft-2-w1", "ft-1-w1");
        assertThat(seen).extracting(PodSnapshot::attempt).containsExactly(2, 1);

        job.getSpec().setWorkers(1);
        assertThat(Observer.otherPods(job, "ft-2", List.of(rank0, rank1))).isEmpty();
    }
}
