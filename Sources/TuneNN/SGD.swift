import TuneCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, using PyTorch's
/// formulas:
///
///     g = ∇ + weightDecay · p
///     b = g (first step), then b = momentum · b + g
///     d = nesterov ? g + momentum · b : b        (d = g without momentum)
///     p = p − lr · d
public final class SGD: Optimizer {
    public var learningRate: Float
    /// Momentum factor in `[0, 1)`; 0 disables momentum.
    public var momentum: Float
    /// Nesterov momentum (needs `momentum > 0`).
    public var nesterov: Bool
    /// L2 penalty added to the gradient.
    public var weightDecay: Float
    /// Scales the base rate by iteration; `nil` keeps it constant.
    public var schedule: LearningRateSchedule?
    /// The maximum global L2 norm of the gradients, or `nil` for no clipping.
    public var clipGradientNorm: Float?
    public internal(set) var iterations = 0
    var velocities = ParameterStates<ParameterBuffer>()

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0,
                schedule: LearningRateSchedule? = nil, clipGradientNorm: Float? = nil) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.clipGradientNorm = clipGradientNorm
    }

    /// The rate the next step will use (the schedule applied to the base rate).
    public var currentLearningRate: Float { schedule?.rate(base: learningRate, step: iterations) ?? learningRate }

    public func step(_ model: Layer) throws {
        let name = "SGD"
        try OptimizerSupport.require(momentum.isFinite && momentum >= 0 && momentum < 1, name, "momentum",
                                     "must be in [0, 1), got \(momentum)")
        try OptimizerSupport.require(!nesterov || momentum > 0, name, "nesterov", "Nesterov momentum needs momentum > 0")
        try OptimizerSupport.require(weightDecay.isFinite && weightDecay >= 0, name, "weightDecay",
                                     "must be finite and non-negative, got \(weightDecay)")
        let inputs = try OptimizerSupport.prepare(optimizer: name, model: model, learningRate: learningRate,
                                                  iteration: iterations, schedule: schedule,
                                                  clipGradientNorm: clipGradientNorm)
        let (rate, scale, mu, decay, nesterov) = (inputs.learningRate, inputs.gradientScale, momentum, weightDecay, nesterov)
        for item in inputs.items {
            let count = item.parameter.elementCount
            let velocity = mu > 0 ? velocities.state(for: item.parameter) { ParameterBuffer(count: count) } : nil
            item.parameter.withUnsafeMutableBufferPointer { p in
                item.gradient.withUnsafeBufferPointer { g in
                    guard let velocity else {
                        for i in 0..<count { p[i] -= rate * (g[i] * scale + decay * p[i]) }
                        return
                    }
                    let first = !velocity.isInitialized
                    velocity.values.withUnsafeMutableBufferPointer { b in
                        for i in 0..<count {
                            let gradient = g[i] * scale + decay * p[i]
                            b[i] = first ? gradient : mu * b[i] + gradient
                            p[i] -= rate * (nesterov ? gradient + mu * b[i] : b[i])
                        }
                    }
                    velocity.isInitialized = true
                }
            }
        }
        iterations += 1
    }
}

/// One float per parameter element (e.g. a momentum buffer).
final class ParameterBuffer {
    var values: [Float]
    /// Whether the buffer holds a value yet (PyTorch seeds momentum with the first gradient).
    var isInitialized = false

    init(count: Int) { values = [Float](repeating: 0, count: count) }
}
