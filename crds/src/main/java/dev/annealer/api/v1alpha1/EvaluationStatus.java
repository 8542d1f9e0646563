package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Locale;
import java.util.Objects;

/**
 * The newest validation metrics the trainer reported ({@code spec.data.validation}, measured every
 * {@code spec.training.evalEverySteps}, at cycle ends with cycle snapshots, and at the end): what users read beside
 * the learning-rate trajectory in {@code status.schedule} to tune the schedule.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EvaluationStatus {

    @JsonPropertyDescription("The optimizer step after which the metrics were measured.")
    private Long step;

    @JsonPropertyDescription("Validation loss: causal LM, the token-weighted mean cross-entropy over every label of the "
            + "validation set; classification, the mean loss per record; regression, the mean squared error.")
    private Double loss;

    @JsonPropertyDescription("exp(loss): the validation perplexity of a causal language model (task causalLM).")
    private Double perplexity;

    @JsonPropertyDescription("Fraction of validation records whose predicted class is the label (task classification).")
    private Double accuracy;

    @JsonPropertyDescription("Macro-averaged F1 over the classes that occur as a label or a prediction, as "
            + "scikit-learn's f1_score(average='macro') (task classification).")
    private Double f1;

    @JsonPropertyDescription("The metrics in one short line with 4 significant digits, e.g. 'step 200: loss 1.234 ppl "
            + "3.435' or 'step 50: loss 0.4102 acc 0.875 F1 0.8611'; derived from the fields above.")
    private String summary;

    /** {@code step N: loss L[ ppl P][ acc A][ F1 F]} from the typed fields (null when there is no loss). */
    public static String summarize(Long step, Double loss, Double perplexity, Double accuracy, Double f1) {
        if (loss == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        if (step != null) {
            b.append("step ").append(step).append(": ");
        }
        b.append("loss ").append(StatusDisplay.loss(loss));
        if (perplexity != null) {
            b.append(" ppl ").append(StatusDisplay.loss(perplexity));
        }
        if (accuracy != null) {
            b.append(" acc ").append(String.format(Locale.ROOT, "%.4g", accuracy));
        }
        if (f1 != null) {
            b.append(" F1 ").append(String.format(Locale.ROOT, "%.4g", f1));
        }
        return b.toString();
    }

    public Long getStep() {
        return step;
    }

    public void setStep(Long step) {
        this.step = step;
    }

    public Double getLoss() {
        return loss;
    }

    public void setLoss(Double loss) {
        this.loss = loss;
    }

    public Double getPerplexity() {
        return perplexity;
    }

    public void setPerplexity(Double perplexity) {
        this.perplexity = perplexity;
    }

    public Double getAccuracy() {
        return accuracy;
    }

    public void setAccuracy(Double accuracy) {
        this.accuracy = accuracy;
    }

    public Double getF1() {
        return f1;
    }

    public void setF1(Double f1) {
        this.f1 = f1;
    }

    public String getSummary() {
        return summary;
    }

    public void setSummary(String summary) {
        this.summary = summary;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof EvaluationStatus that)) return false;
        return Objects.equals(step, that.step) && Objects.equals(loss, that.loss)
                && Objects.equals(perplexity, that.perplexity) && Objects.equals(accuracy, that.accuracy)
                && Objects.equals(f1, that.f1) && Objects.equals(summary, that.summary);
    }

    @Override
    public int hashCode() {
        return Objects.hash(step, loss, perplexity, accuracy, f1, summary);
    }

    @Override
    public String toString() {
        return "EvaluationStatus{step=" + step + ", loss=" + loss + ", perplexity=" + perplexity + ", accuracy="
                + accuracy + ", f1=" + f1 + ", summary=" + summary + "}";
    }
}
