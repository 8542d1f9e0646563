package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * What a finished {@code training.mode: lrRangeTest} job suggests: fastai 2.8.12's four rules over the smoothed loss
 * (see docs/trainer.md, "LR range test").
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LrRangeTestStatus {

    @JsonPropertyDescription("The suggested base learning rate (the valley rule's); the value to put in "
            + "spec.optimizer.learningRate.")
    private Double suggested;

    @JsonPropertyDescription("The suggestion with three significant digits and its rule, e.g. '2.41e-03 (valley)': "
            + "short enough for a column.")
    private String summary;

    @JsonPropertyDescription("Valley rule: two thirds of the way into the longest falling stretch of the loss "
            + "(fastai's default).")
    private Double valley;

    @JsonPropertyDescription("Steep rule: where the loss falls fastest against log(learning rate); unreliable on noisy "
            + "curves.")
    private Double steep;

    @JsonPropertyDescription("Minimum rule: the learning rate at the lowest loss, divided by 10.")
    private Double minimum;

    @JsonPropertyDescription("Slide rule: the interval-slide rule over the loss gradient; absent when the sweep left "
            + "fewer than 16 points after dropping the first tenth and the last 5.")
    private Double slide;

    @JsonPropertyDescription("Where the plot (loss against learning rate, one marker per rule) is, e.g. "
            + "pvc://<job>-checkpoints/lr-range-test.png; the CSV and JSON are beside it.")
    private String plot;

    public Double getSuggested() {
        return suggested;
    }

    public void setSuggested(Double suggested) {
        this.suggested = suggested;
    }

    public String getSummary() {
        return summary;
    }

    public void setSummary(String summary) {
        this.summary = summary;
    }

    public Double getValley() {
        return valley;
    }

    public void setValley(Double valley) {
        this.valley = valley;
    }

    public Double getSteep() {
        return steep;
    }

    public void setSteep(Double steep) {
        this.steep = steep;
    }

    public Double getMinimum() {
        return minimum;
    }

    public void setMinimum(Double minimum) {
        this.minimum = minimum;
    }

    public Double getSlide() {
        return slide;
    }

    public void setSlide(Double slide) {
        this.slide = slide;
    }

    public String getPlot() {
        return plot;
    }

    public void setPlot(String plot) {
        this.plot = plot;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof LrRangeTestStatus that)) return false;
        return Objects.equals(suggested, that.suggested) && Objects.equals(summary, that.summary)
                && Objects.equals(valley, that.valley) && Objects.equals(steep, that.steep)
                && Objects.equals(minimum, that.minimum) && Objects.equals(slide, that.slide)
                && Objects.equals(plot, that.plot);
    }

    @Override
    public int hashCode() {
        return Objects.hash(suggested, summary, valley, steep, minimum, slide, plot);
    }

    @Override
    public String toString() {
        return "LrRangeTestStatus{" + "suggested=" + suggested + ", summary=" + summary + ", valley=" + valley
                + ", steep=" + steep + ", minimum=" + minimum + ", slide=" + slide + ", plot=" + plot + "}";
    }
}
