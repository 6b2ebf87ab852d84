import TuneCore

/// Adam with decoupled weight decay (Loshchilov & Hutter), as PyTorch's `AdamW` (default decay 0.01):
/// each step first shrinks the parameter, `p = p · (1 − lr · weightDecay)`, then applies the bias-corrected Adam
/// update of the raw gradient (see ``Adam``). `lr` is the scheduled rate of the step.
public final class AdamW: Adam {
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                weightDecay: Float = 0.01, schedule: LearningRateSchedule? = nil, clipGradientNorm: Float? = nil) {
        super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                   decoupledWeightDecay: true, schedule: schedule, clipGradientNorm: clipGradientNorm)
    }
}
