package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.api.v1alpha1.BackoffSpec;
import dev.annealer.api.v1alpha1.CheckpointSpec;
import dev.annealer.api.v1alpha1.DataSpec;
import dev.annealer.api.v1alpha1.Defaults;
import dev.annealer.api.v1alpha1.FailurePolicySpec;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.OnBadRecord;
import dev.annealer.api.v1alpha1.OnScheduleChange;
import dev.annealer.api.v1alpha1.ReclaimPolicy;
import dev.annealer.api.v1alpha1.ResourcesSpec;
import dev.annealer.api.v1alpha1.TemplateSpec;
import dev.annealer.api.v1alpha1.TrainingMode;
import dev.annealer.api.v1alpha1.TrainingSpec;
import io.fabric8.generator.annotation.Default;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Defaults.* equals the CRD @Default of each field, and applies when the whole section is absent. */
class DefaultsTest {

    static String crdDefault(Class<?> c, String field) throws NoSuchFieldException {
        return c.getDeclaredField(field).getAnnotation(Default.class).value();
    }

    @Test
    void constantsAreTheCrdDefaults() throws Exception {
        assertThat(crdDefault(FineTuneJobSpec.class, "suspend")).isEqualTo(String.valueOf(Defaults.SUSPEND));
        assertThat(crdDefault(TrainingSpec.class, "batchSize")).isEqualTo(String.valueOf(Defaults.BATCH_SIZE));
        assertThat(crdDefault(TrainingSpec.class, "gradientAccumulation")).isEqualTo(String.valueOf(Defaults.GRADIENT_ACCUMULATION));
        assertThat(crdDefault(TrainingSpec.class, "seed")).isEqualTo(String.valueOf(Defaults.SEED));
        assertThat(crdDefault(TrainingSpec.class, "mode")).isEqualTo("train");
        assertThat(crdDefault(DataSpec.class, "format")).isEqualTo("csv");
        assertThat(crdDefault(DataSpec.class, "task")).isEqualTo("regression");
        assertThat(crdDefault(DataSpec.class, "onBadRecord")).isEqualTo("fail");
        assertThat(crdDefault(CheckpointSpec.class, "keepLast")).isEqualTo(String.valueOf(Defaults.KEEP_LAST));
        assertThat(crdDefault(CheckpointSpec.class, "keepCycleSnapshots")).isEqualTo(String.valueOf(Defaults.KEEP_CYCLE_SNAPSHOTS));
        assertThat(crdDefault(CheckpointSpec.class, "reclaimPolicy")).isEqualTo("Retain");
        assertThat(crdDefault(CheckpointSpec.class, "onScheduleChange")).isEqualTo("Refuse");
        assertThat(crdDefault(ResourcesSpec.class, "gpus")).isEqualTo(String.valueOf(Defaults.GPUS));
        assertThat(crdDefault(TemplateSpec.class, "terminationGracePeriodSeconds"))
                .isEqualTo(String.valueOf(Defaults.TERMINATION_GRACE_PERIOD_SECONDS));
        assertThat(crdDefault(FailurePolicySpec.class, "maxFailures")).isEqualTo(String.valueOf(Defaults.MAX_FAILURES));
        assertThat(crdDefault(FailurePolicySpec.class, "maxPreemptions")).isEqualTo(String.valueOf(Defaults.MAX_PREEMPTIONS));
        assertThat(crdDefault(BackoffSpec.class, "initialSeconds")).isEqualTo(String.valueOf(Defaults.BACKOFF_INITIAL_SECONDS));
        assertThat(crdDefault(BackoffSpec.class, "maxSeconds")).isEqualTo(String.valueOf(Defaults.BACKOFF_MAX_SECONDS));
    }

    @Test
    void absentSectionsGetTheDefaults() {
        FineTuneJobSpec s = new FineTuneJobSpec();
        assertThat(Defaults.suspend(s)).isFalse();
        assertThat(Defaults.batchSize(s)).isEqualTo(32);
        assertThat(Defaults.mode(s)).isEqualTo(TrainingMode.TRAIN);
        assertThat(Defaults.onBadRecord(s)).isEqualTo(OnBadRecord.FAIL);
        assertThat(Defaults.keepLast(s)).isEqualTo(3);
        assertThat(Defaults.everySteps(s)).isEmpty();
        assertThat(Defaults.everySeconds(s)).contains(600L);
        assertThat(Defaults.reclaimPolicy(s)).isEqualTo(ReclaimPolicy.RETAIN);
        assertThat(Defaults.onScheduleChange(s)).isEqualTo(OnScheduleChange.REFUSE);
        assertThat(Defaults.storageSize(s)).isEqualTo("1Gi");
        assertThat(Defaults.gpus(s)).isZero();
        assertThat(Defaults.terminationGracePeriodSeconds(s)).isEqualTo(120);
        assertThat(Defaults.maxFailures(s)).isEqualTo(3);
        assertThat(Defaults.maxPreemptions(s)).isEqualTo(-1);
        assertThat(Defaults.backoffInitialSeconds(s)).isEqualTo(10);
        assertThat(Defaults.backoffMaxSeconds(s)).isEqualTo(300);
    }

    @Test
    void setValuesWin() {
        FineTuneJobSpec s = FineTuneJobs.read(Examples.dir().resolve("quickstart.yaml")).getSpec();
        assertThat(Defaults.everySteps(s)).contains(250L);
        assertThat(Defaults.everySeconds(s)).isEqualTo(Optional.empty());
        assertThat(Defaults.storageSize(s)).isEqualTo("1Gi");
        FineTuneJobSpec t = FineTuneJobs.read(Examples.dir().resolve("torchscript-finetune.yaml")).getSpec();
        assertThat(Defaults.maxFailures(t)).isEqualTo(2);
        assertThat(Defaults.backoffInitialSeconds(t)).isEqualTo(30);
        assertThat(Defaults.reclaimPolicy(t)).isEqualTo(ReclaimPolicy.DELETE);
        assertThat(Defaults.terminationGracePeriodSeconds(t)).isEqualTo(60);
        assertThat(Defaults.gpus(t)).isEqualTo(1);
    }
}
