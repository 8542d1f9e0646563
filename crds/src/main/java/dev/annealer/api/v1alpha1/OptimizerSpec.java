package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Objects;

/**
 * The optimizer, with the semantics of {@code torch.optim.AdamW} (decoupled weight decay) and {@code torch.optim.SGD}
 * (momentum, dampening, Nesterov).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.nesterov) || !self.nesterov || (has(self.momentum) && self.momentum > 0.0 "
        + "&& (!has(self.dampening) || self.dampening == 0.0))",
        message = "spec.optimizer.nesterov requires momentum > 0 and dampening 0 (as torch.optim.SGD)")
@ValidationRule(value = "(has(self.type) && self.type == 'SGD') || (!has(self.momentum) && !has(self.dampening) && !has(self.nesterov))",
        message = "spec.optimizer.momentum, dampening and nesterov apply to type SGD only: remove them or set type: SGD")
@ValidationRule(value = "!has(self.type) || self.type == 'AdamW' || (!has(self.betas) && !has(self.epsilon))",
        message = "spec.optimizer.betas and epsilon apply to type AdamW only: remove them or set type: AdamW")
public class OptimizerSpec {

    public static final double DEFAULT_ADAMW_WEIGHT_DECAY = 0.01;
    public static final List<Double> DEFAULT_BETAS = List.of(0.9, 0.999);
    public static final double DEFAULT_EPSILON = 1e-8;

    @JsonPropertyDescription("AdamW (Adam with decoupled weight decay, as torch.optim.AdamW) or SGD "
            + "(with optional momentum, dampening and Nesterov, as torch.optim.SGD).")
    @Default("AdamW")
    private OptimizerType type;

    @JsonPropertyDescription("Base learning rate: the peak of the schedule (eta_max), reached at the end of the warmup "
            + "and at the start of every cycle before schedule.peakDecay. Must be > schedule.minLearningRate.")
    @Required
    @ValidationRule(value = "self > 0.0", message = "spec.optimizer.learningRate must be > 0")
    private Double learningRate;

    @JsonPropertyDescription("Weight decay. AdamW: decoupled, p -= lr * weightDecay * p; SGD: L2 added to the gradient. "
            + "Absent: 0.01 for AdamW, 0 for SGD (the torch.optim defaults).")
    @ValidationRule(value = "self >= 0.0", message = "spec.optimizer.weightDecay must be >= 0")
    private Double weightDecay;

    @JsonPropertyDescription("AdamW only: [beta1, beta2], decay rates of the first and second moment estimates, "
            + "each in [0, 1). Absent: [0.9, 0.999].")
    @ValidationRule(value = "self.size() == 2 && self.all(b, b >= 0.0 && b < 1.0)",
            message = "spec.optimizer.betas must be two numbers in [0, 1), e.g. [0.9, 0.999]")
    @Size(min = 2, max = 2)
    private List<Double> betas;

    @JsonPropertyDescription("AdamW only: term added to the denominator for numerical stability (> 0). Absent: 1e-8.")
    @ValidationRule(value = "self > 0.0", message = "spec.optimizer.epsilon must be > 0")
    private Double epsilon;

    @JsonPropertyDescription("SGD only: momentum factor in [0, 1). Absent: 0 (plain SGD).")
    @ValidationRule(value = "self >= 0.0 && self < 1.0", message = "spec.optimizer.momentum must be in [0, 1)")
    private Double momentum;

    @JsonPropertyDescription("SGD only: dampening for momentum in [0, 1]. Absent: 0.")
    @ValidationRule(value = "self >= 0.0 && self <= 1.0", message = "spec.optimizer.dampening must be in [0, 1]")
    private Double dampening;

    @JsonPropertyDescription("SGD only: use Nesterov momentum (requires momentum > 0 and dampening 0). Absent: false.")
    private Boolean nesterov;

    @JsonPropertyDescription("Clip the global L2 norm of the gradients to this value before each step (> 0). "
            + "Absent: no clipping.")
    @ValidationRule(value = "self > 0.0", message = "spec.optimizer.gradientClipNorm must be > 0 (omit it to disable clipping)")
    private Double gradientClipNorm;

    /** The type in effect: {@link #getType()} or AdamW. */
    @JsonIgnore
    public OptimizerType effectiveType() {
        return type == null ? OptimizerType.ADAMW : type;
    }

    /** The weight decay in effect: {@link #getWeightDecay()} or the torch.optim default of the type. */
    @JsonIgnore
    public double effectiveWeightDecay() {
        if (weightDecay != null) {
            return weightDecay;
        }
        return effectiveType() == OptimizerType.ADAMW ? DEFAULT_ADAMW_WEIGHT_DECAY : 0.0;
    }

    /** The betas in effect: {@link #getBetas()} or [0.9, 0.999]. */
    @JsonIgnore
    public List<Double> effectiveBetas() {
        return betas == null ? DEFAULT_BETAS : betas;
    }

    /** The epsilon in effect: {@link #getEpsilon()} or 1e-8. */
    @JsonIgnore
    public double effectiveEpsilon() {
        return epsilon == null ? DEFAULT_EPSILON : epsilon;
    }

    public OptimizerType getType() {
        return type;
    }

    public void setType(OptimizerType type) {
        this.type = type;
    }

    public Double getLearningRate() {
        return learningRate;
    }

    public void setLearningRate(Double learningRate) {
        this.learningRate = learningRate;
    }

    public Double getWeightDecay() {
        return weightDecay;
    }

    public void setWeightDecay(Double weightDecay) {
        this.weightDecay = weightDecay;
    }

    public List<Double> getBetas() {
        return betas;
    }

    public void setBetas(List<Double> betas) {
        this.betas = betas;
    }

    public Double getEpsilon() {
        return epsilon;
    }

    public void setEpsilon(Double epsilon) {
        this.epsilon = epsilon;
    }

    public Double getMomentum() {
        return momentum;
    }

    public void setMomentum(Double momentum) {
        this.momentum = momentum;
    }

    public Double getDampening() {
        return dampening;
    }

    public void setDampening(Double dampening) {
        this.dampening = dampening;
    }

    public Boolean getNesterov() {
        return nesterov;
    }

    public void setNesterov(Boolean nesterov) {
        this.nesterov = nesterov;
    }

    public Double getGradientClipNorm() {
        return gradientClipNorm;
    }

    public void setGradientClipNorm(Double gradientClipNorm) {
        this.gradientClipNorm = gradientClipNorm;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof OptimizerSpec that)) return false;
        return Objects.equals(type, that.type) && Objects.equals(learningRate, that.learningRate) && Objects.equals(weightDecay, that.weightDecay) && Objects.equals(betas, that.betas) && Objects.equals(epsilon, that.epsilon) && Objects.equals(momentum, that.momentum) && Objects.equals(dampening, that.dampening) && Objects.equals(nesterov, that.nesterov) && Objects.equals(gradientClipNorm, that.gradientClipNorm);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, learningRate, weightDecay, betas, epsilon, momentum, dampening, nesterov, gradientClipNorm);
    }

    @Override
    public String toString() {
        return "OptimizerSpec{" + "type=" + type + ", " + "learningRate=" + learningRate + ", " + "weightDecay=" + weightDecay + ", " + "betas=" + betas + ", " + "epsilon=" + epsilon + ", " + "momentum=" + momentum + ", " + "dampening=" + dampening + ", " + "nesterov=" + nesterov + ", " + "gradientClipNorm=" + gradientClipNorm + "}";
    }
}
