package dev.annealer.operator;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.act.DesiredResources;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;

import java.util.Set;

/**
 * Maps a checkpoint PVC to its FineTuneJob: by the controller owner reference ({@code reclaimPolicy: Delete}), else,
 * for a retained (never owned) PVC, by its {@code annealer.dev/job} label, so a job also sees a PVC that a deleted
 * job of the same name left behind (and resumes from its checkpoints).
 */
final class RetainedPvcMapper implements SecondaryToPrimaryMapper<PersistentVolumeClaim> {

    private final SecondaryToPrimaryMapper<PersistentVolumeClaim> owners = Mappers.fromOwnerReferences(FineTuneJob.class);

    @Override
    public Set<ResourceID> toPrimaryResourceIDs(PersistentVolumeClaim pvc) {
        Set<ResourceID> owned = owners.toPrimaryResourceIDs(pvc);
        if (!owned.isEmpty()) {
            return owned;
        }
        String job = pvc.getMetadata().getLabels() == null ? null
                : pvc.getMetadata().getLabels().get(DesiredResources.LABEL_JOB);
        if (job == null || !pvc.getMetadata().getName().equals(job + "-checkpoints")) {
            return Set.of();
        }
        return Set.of(new ResourceID(job, pvc.getMetadata().getNamespace()));
    }
}
