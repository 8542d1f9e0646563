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
}
