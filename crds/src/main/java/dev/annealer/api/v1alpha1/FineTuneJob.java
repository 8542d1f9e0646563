package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A fine-tuning job whose learning-rate schedule is part of its contract.
 *
 * <p>Immutability (CEL transition rules, see {@code docs/reference/finetunejob.md}): once the operator has
 * started the job ({@code status.startTime} set), {@code spec.model}, {@code spec.data}, {@code spec.optimizer}
 * and {@code spec.schedule} cannot change: they define what the checkpoints mean. Everything else (suspend,
 * training budget, checkpointing, resources, placement, failure policy, TTL) may change and applies to the next
 * attempt. Before the start (queued, suspended from creation, or rejected with {@code Accepted=False}) every field
 * may be fixed in place.
 */
@Group(FineTuneJob.GROUP)
@Version(FineTuneJob.VERSION)
@Kind("FineTuneJob")
@Plural("finetunejobs")
@Singular("finetunejob")
@ShortNames("ftj")
// kubectl get ftj: the story at a glance in 120 columns; -o wide adds the attempt, failures, queue and checkpoint
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Lifecycle phase")
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.display.reason", type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Why the job is in its phase (the reason of the condition that explains it)")
@AdditionalPrinterColumn(name = "Step", jsonPath = ".status.step", type = AdditionalPrinterColumn.Type.INTEGER,
        getDescription = "Last optimizer step reported by the trainer")
@AdditionalPrinterColumn(name = "Cycle", jsonPath = ".status.schedule.cycle", type = AdditionalPrinterColumn.Type.INTEGER,
        getDescription = "Current schedule cycle (0-based)")
@AdditionalPrinterColumn(name = "LR", jsonPath = ".status.display.learningRate", type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Learning rate in effect at the reported step (status.schedule.learningRate, 3 digits)")
@AdditionalPrinterColumn(name = "Loss", jsonPath = ".status.display.loss", type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Last training loss (status.loss, 4 digits)")
@AdditionalPrinterColumn(name = "Preempted", jsonPath = ".status.preemptions", type = AdditionalPrinterColumn.Type.INTEGER,
        getDescription = "Attempts ended by the platform (not counted as failures)")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE,
        getDescription = "Time since the job was created")
@AdditionalPrinterColumn(name = "Attempt", jsonPath = ".status.attempt", type = AdditionalPrinterColumn.Type.INTEGER,
        priority = 1, getDescription = "Current (or last) attempt; its pod is <job>-<attempt>")
@AdditionalPrinterColumn(name = "Failures", jsonPath = ".status.failures", type = AdditionalPrinterColumn.Type.INTEGER,
        priority = 1, getDescription = "Attempts that failed")
@AdditionalPrinterColumn(name = "Queue", jsonPath = ".metadata.labels.kueue\\.x-k8s\\.io/queue-name",
        type = AdditionalPrinterColumn.Type.STRING, priority = 1, getDescription = "Kueue LocalQueue (label kueue.x-k8s.io/queue-name)")
@AdditionalPrinterColumn(name = "Checkpoint", jsonPath = ".status.lastCheckpoint.step", type = AdditionalPrinterColumn.Type.INTEGER,
        priority = 1, getDescription = "Step of the newest complete checkpoint (a new attempt resumes from it)")
@AdditionalPrinterColumn(name = "Suggested LR", jsonPath = ".status.lrRangeTest.summary",
        type = AdditionalPrinterColumn.Type.STRING, priority = 1,
        getDescription = "What a finished lrRangeTest job suggests (kubectl get ftj -o wide)")
@ValidationRule(value = "!has(oldSelf.status) || !has(oldSelf.status.startTime) || self.spec.model == oldSelf.spec.model",
        message = "spec.model is immutable once the job has started (status.startTime is set): "
                + "create a new FineTuneJob to train a different model")
@ValidationRule(value = "!has(oldSelf.status) || !has(oldSelf.status.startTime) || self.spec.data == oldSelf.spec.data",
        message = "spec.data is immutable once the job has started (status.startTime is set): "
                + "create a new FineTuneJob to train on different data")
@ValidationRule(value = "!has(oldSelf.status) || !has(oldSelf.status.startTime) || self.spec.optimizer == oldSelf.spec.optimizer",
        message = "spec.optimizer is immutable once the job has started (status.startTime is set): "
                + "its checkpoints hold this optimizer's state; create a new FineTuneJob to change it")
@ValidationRule(value = "!has(oldSelf.status) || !has(oldSelf.status.startTime) || "
        + "(has(self.spec.schedule) == has(oldSelf.spec.schedule) && (!has(self.spec.schedule) || self.spec.schedule == oldSelf.spec.schedule))",
        message = "spec.schedule is immutable once the job has started (status.startTime is set): "
                + "the checkpoints are fingerprinted with it; create a new FineTuneJob to change the schedule")
// the name is the value of the annealer.dev/job label of every owned object, and labels hold at most 63 characters
// has(self.metadata): the shared Java validator also checks documents without metadata (the operator's admission)
@ValidationRule(value = "!has(self.metadata) || !has(self.metadata.name) || size(self.metadata.name) <= 63",
        message = "metadata.name must be at most 63 characters: it is the annealer.dev/job label of the job's pods "
                + "(a label value holds at most 63), as for a Kubernetes Job; choose a shorter name")
public class FineTuneJob extends CustomResource<FineTuneJobSpec, FineTuneJobStatus> implements Namespaced {

    public static final String GROUP = "annealer.dev";
    public static final String VERSION = "v1alpha1";
    public static final String KIND = "FineTuneJob";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    /**
     * Label naming the Kueue LocalQueue: the operator queues the job as ONE Kueue Workload (owned by the job) and
     * starts trainer pods only while Kueue admits it. Never copied onto pods.
     */
    public static final String KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

    @Override
    @Required
    @JsonPropertyDescription("What to train, on what data, with which optimizer and learning-rate schedule, and how to run it.")
    public FineTuneJobSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("Observed state, written by the operator only.")
    public FineTuneJobStatus getStatus() {
        return super.getStatus();
    }
}
