import TuneCore

/// Adam with decoupled weight decay (Loshchilov & Hutter), as PyTorch's `AdamW` (default decay 0.01):
/// each step first shrinks the parameter, `p = p · (1 − lr · weightDecay)`, then applies the bias-corrected Adam
/// update of the raw gradient (see ``Adam``). `lr` is the scheduled rate of the step.
public final class AdamW: Optimizer {
    public var learningRate: Float
    /// Decay of the first-moment (mean) estimate.
    public var beta1: Float
    /// Decay of the second-moment (uncentred variance) estimate.
    public var beta2: Float
    /// Added to the denominator for numerical stability.
    public var epsilon: Float
    /// Decoupled weight decay factor.
    public var weightDecay: Float
    /// Scales the base rate by iteration; `nil` keeps it constant.
    public var schedule: LearningRateSchedule?
    /// The maximum global L2 norm of the gradients, or `nil` for no clipping.
    public var clipGradientNorm: Float?
    public private(set) var iterations = 0
    private var moments = ParameterStates<AdamMoments>()

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                weightDecay: Float = 0.01, schedule: LearningRateSchedule? = nil, clipGradientNorm: Float? = nil) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.clipGradientNorm = clipGradientNorm
    }

    /// The rate the next step will use (the schedule applied to the base rate).
    public var currentLearningRate: Float { schedule?.rate(base: learningRate, step: iterations) ?? learningRate }

    public func step(_ model: Layer) throws {
        let rule = AdamRule(optimizer: "AdamW", beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                            decoupled: true)
        try rule.validate()
        let inputs = try OptimizerSupport.prepare(optimizer: rule.optimizer, model: model, learningRate: learningRate,
                                                  iteration: iterations, schedule: schedule,
                                                  clipGradientNorm: clipGradientNorm)
        rule.apply(inputs, states: &moments)
        iterations += 1
    }
}
