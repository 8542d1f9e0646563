package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Objects;

/** Training and validation data. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.features) || !self.features.exists(f, f == self.label)",
        message = "spec.data.label must not also be listed in spec.data.features: the model would see the answer")
public class DataSpec {

    @JsonPropertyDescription("Training data file: pvc://CLAIM/path, file:///absolute/path, or a path relative to the "
            + "trainer's working directory (e.g. examples/data/quickstart-train.csv).")
    @Required
    @Size(min = 1, max = 1024)
    @ValidationRule(value = Sources.DATA_RULE, message = "spec.data.train" + Sources.DATA_MESSAGE_SUFFIX)
    private String train;

    @JsonPropertyDescription("Validation data file, same spellings as train. Evaluated every training.evalEverySteps; "
            + "required by schedule.restartOnPlateau. Absent: no validation loss is reported.")
    @Size(min = 1, max = 1024)
    @ValidationRule(value = Sources.DATA_RULE, message = "spec.data.validation" + Sources.DATA_MESSAGE_SUFFIX)
    private String validation;

    @JsonPropertyDescription("File format: csv (a header row, then one record per line) or jsonl (one JSON object per line).")
    @Default("csv")
    private DataFormat format;

    @JsonPropertyDescription("Names of the input columns (csv header names or jsonl keys), in model-input order. "
            + "Absent: every column except the label, in file order.")
    @Size(max = 4096)
    private List<String> features;

    @JsonPropertyDescription("Name of the target column (csv header name or jsonl key).")
    @Required
    @Size(min = 1, max = 256)
    private String label;

    @JsonPropertyDescription("regression: the label is a real number, loss = mean squared error. "
            + "classification: the label is a class index 0..K-1, loss = softmax cross-entropy.")
    @Default("regression")
    private TaskType task;

    @JsonPropertyDescription("What to do with a record that cannot be parsed (missing column, not a number, "
            + "non-finite value): fail stops the job with reason BadRecord naming file, line and column; "
            + "skip drops the record and counts it in the trainer's metrics.")
    @Default("fail")
    private OnBadRecord onBadRecord;

    public String getTrain() {
        return train;
    }

    public void setTrain(String train) {
        this.train = train;
    }

    public String getValidation() {
        return validation;
    }

    public void setValidation(String validation) {
        this.validation = validation;
    }

    public DataFormat getFormat() {
        return format;
    }

    public void setFormat(DataFormat format) {
        this.format = format;
    }

    public List<String> getFeatures() {
        return features;
    }

    public void setFeatures(List<String> features) {
        this.features = features;
    }

    public String getLabel() {
        return label;
    }

    public void setLabel(String label) {
        this.label = label;
    }

    public TaskType getTask() {
        return task;
    }

    public void setTask(TaskType task) {
        this.task = task;
    }

    public OnBadRecord getOnBadRecord() {
        return onBadRecord;
    }

    public void setOnBadRecord(OnBadRecord onBadRecord) {
        this.onBadRecord = onBadRecord;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof DataSpec that)) return false;
        return Objects.equals(train, that.train) && Objects.equals(validation, that.validation) && Objects.equals(format, that.format) && Objects.equals(features, that.features) && Objects.equals(label, that.label) && Objects.equals(task, that.task) && Objects.equals(onBadRecord, that.onBadRecord);
    }

    @Override
    public int hashCode() {
        return Objects.hash(train, validation, format, features, label, task, onBadRecord);
    }

    @Override
    public String toString() {
        return "DataSpec{" + "train=" + train + ", " + "validation=" + validation + ", " + "format=" + format + ", " + "features=" + features + ", " + "label=" + label + ", " + "task=" + task + ", " + "onBadRecord=" + onBadRecord + "}";
    }
}
