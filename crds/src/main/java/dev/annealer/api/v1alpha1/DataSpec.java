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
@ValidationRule(value = "(has(self.task) && self.task == 'causalLM') || has(self.label)",
        message = "spec.data.label must be set for task regression and classification (the target column); "
                + "only causalLM learns from the text alone")
@ValidationRule(value = "has(self.prompt) == has(self.completion)",
        message = "spec.data.prompt and spec.data.completion must be set together: the loss is taken on the completion")
@ValidationRule(value = "!has(self.task) || self.task != 'causalLM' || has(self.text) != has(self.prompt)",
        message = "spec.data.task causalLM needs exactly one of spec.data.text (loss on every token) or "
                + "spec.data.prompt + spec.data.completion (loss on the completion)")
@ValidationRule(value = "!has(self.prompt) || (has(self.task) && self.task == 'causalLM')",
        message = "spec.data.prompt/completion are for task causalLM; classification and regression read spec.data.text")
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

    @JsonPropertyDescription("Name of the target column (csv header name or jsonl key). Required for task "
            + "regression and classification; not used by causalLM.")
    @Size(min = 1, max = 256)
    private String label;

    @JsonPropertyDescription("regression: the label is a real number, loss = mean squared error. "
            + "classification: the label is a class index 0..K-1, loss = softmax cross-entropy. "
            + "causalLM (model.format huggingface): next-token prediction on text, loss = token cross-entropy.")
    @Default("regression")
    private TaskType task;

    @JsonPropertyDescription("Text column (csv header name or jsonl key) for model.format huggingface: the whole text "
            + "for causalLM (loss on every token), the input for classification and regression.")
    @Size(min = 1, max = 256)
    private String text;

    @JsonPropertyDescription("Prompt column for task causalLM (with completion): the record is tokenize(prompt, with "
            + "the tokenizer's special tokens) + tokenize(completion) + [eos], and the loss is on the completion only.")
    @Size(min = 1, max = 256)
    private String prompt;

    @JsonPropertyDescription("Completion column for task causalLM (with prompt): the part the loss is taken on.")
    @Size(min = 1, max = 256)
    private String completion;

    @JsonPropertyDescription("Tokens per record for model.format huggingface: longer records are cut from the right, "
            + "batches are right-padded to their longest record. Absent: the model's maximum positions. Must be >= 2.")
    @ValidationRule(value = "self >= 2", message = "spec.data.maxLength must be >= 2 tokens, e.g. 512")
    private Integer maxLength;

    @JsonPropertyDescription("true: each epoch reads the records in a permutation drawn from training.seed and the "
            + "epoch. false: file order, step s reads records s*B .. s*B+B-1 (B = batchSize x gradientAccumulation), "
            + "wrapping around the end of the file.")
    @Default("true")
    private Boolean shuffle;

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

    public String getText() {
        return text;
    }

    public void setText(String text) {
        this.text = text;
    }

    public String getPrompt() {
        return prompt;
    }

    public void setPrompt(String prompt) {
        this.prompt = prompt;
    }

    public String getCompletion() {
        return completion;
    }

    public void setCompletion(String completion) {
        this.completion = completion;
    }

    public Integer getMaxLength() {
        return maxLength;
    }

    public void setMaxLength(Integer maxLength) {
        this.maxLength = maxLength;
    }

    public Boolean getShuffle() {
        return shuffle;
    }

    public void setShuffle(Boolean shuffle) {
        this.shuffle = shuffle;
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
        return Objects.equals(train, that.train) && Objects.equals(validation, that.validation) && Objects.equals(format, that.format) && Objects.equals(features, that.features) && Objects.equals(label, that.label) && Objects.equals(task, that.task) && Objects.equals(onBadRecord, that.onBadRecord) && Objects.equals(text, that.text) && Objects.equals(prompt, that.prompt) && Objects.equals(completion, that.completion) && Objects.equals(maxLength, that.maxLength) && Objects.equals(shuffle, that.shuffle);
    }

    @Override
    public int hashCode() {
        return Objects.hash(train, validation, format, features, label, task, text, prompt, completion, maxLength, shuffle, onBadRecord);
    }

    @Override
    public String toString() {
        return "DataSpec{" + "train=" + train + ", " + "validation=" + validation + ", " + "format=" + format + ", " + "features=" + features + ", " + "label=" + label + ", " + "task=" + task + ", " + "onBadRecord=" + onBadRecord + ", " + "text=" + text + ", " + "prompt=" + prompt + ", " + "completion=" + completion + ", " + "maxLength=" + maxLength + ", " + "shuffle=" + shuffle + "}";
    }
}
