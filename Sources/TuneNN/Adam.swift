import Foundation
import TuneCore

/// Adam with bias correction and optional (coupled, L2) weight decay, as PyTorch's `Adam`; Keras's default
/// epsilon 1e-7. For each parameter, with t its own step count (so a layer unfrozen late starts its bias
/// correction fresh):
///
///     g = ∇ + weightDecay · p
///     m = β₁·m + (1 − β₁)·g,   v = β₂·v + (1 − β₂)·g²
///     p = p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
///
/// For decoupled weight decay use ``AdamW``.
public class Adam: Optimizer {
    public var learningRate: Float
    /// Decay of the first-moment (mean) estimate.
    public var beta1: Float
    /// Decay of the second-moment (uncentred variance) estimate.
    public var beta2: Float
    /// Added to the denominator for numerical stability.
    public var epsilon: Float
    /// L2 penalty added to the gradient (coupled weight decay).
    public var weightDecay: Float
    /// Scales the base rate by iteration; `nil` keeps it constant.
    public var schedule: LearningRateSchedule?
    /// The maximum global L2 norm of the gradients, or `nil` for no clipping.
    public var clipGradientNorm: Float?
    public internal(set) var iterations = 0
    var moments = ParameterStates<AdamMoments>()
    /// Whether weight decay shrinks parameters directly (AdamW) instead of joining the gradient.
    private let decoupledWeightDecay: Bool

    public convenience init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                            weightDecay: Float = 0, schedule: LearningRateSchedule? = nil, clipGradientNorm: Float? = nil) {
        self.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                  decoupledWeightDecay: false, schedule: schedule, clipGradientNorm: clipGradientNorm)
    }

    init(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupledWeightDecay: Bool,
         schedule: LearningRateSchedule?, clipGradientNorm: Float?) {
        self.decoupledWeightDecay = decoupledWeightDecay
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
        let rule = AdamRule(optimizer: decoupledWeightDecay ? "AdamW" : "Adam", beta1: beta1, beta2: beta2,
                            epsilon: epsilon, weightDecay: weightDecay, decoupled: decoupledWeightDecay)
        try rule.validate()
        let inputs = try OptimizerSupport.prepare(optimizer: rule.optimizer, model: model, learningRate: learningRate,
                                                  iteration: iterations, schedule: schedule,
                                                  clipGradientNorm: clipGradientNorm)
        rule.apply(inputs, states: &moments)
        iterations += 1
    }
}

/// The first and second moment estimates of one parameter, and how many updates it has had.
final class AdamMoments {
    var first: [Float]
    var second: [Float]
    var steps = 0

    init(count: Int) {
        first = [Float](repeating: 0, count: count)
        second = [Float](repeating: 0, count: count)
    }
}

/// The Adam update shared by ``Adam`` (coupled decay) and ``AdamW`` (decoupled decay).
struct AdamRule {
    let optimizer: String
    let beta1: Float
    let beta2: Float
    let epsilon: Float
    let weightDecay: Float
    let decoupled: Bool

    func validate() throws {
        try OptimizerSupport.require(beta1.isFinite && beta1 >= 0 && beta1 < 1, optimizer, "beta1", "must be in [0, 1), got \(beta1)")
        try OptimizerSupport.require(beta2.isFinite && beta2 >= 0 && beta2 < 1, optimizer, "beta2", "must be in [0, 1), got \(beta2)")
        try OptimizerSupport.require(epsilon.isFinite && epsilon > 0, optimizer, "epsilon", "must be positive, got \(epsilon)")
        try OptimizerSupport.require(weightDecay.isFinite && weightDecay >= 0, optimizer, "weightDecay",
                                     "must be finite and non-negative, got \(weightDecay)")
    }

    func apply(_ inputs: StepInputs, states: inout ParameterStates<AdamMoments>) {
        let (rate, scale, b1, b2, eps, decay) = (inputs.learningRate, inputs.gradientScale, beta1, beta2, epsilon, weightDecay)
        let decoupled = self.decoupled
        for item in inputs.items {
            let count = item.parameter.elementCount
            let state = states.state(for: item.parameter) { AdamMoments(count: count) }
            state.steps += 1
            let t = Double(state.steps)
            let correction1 = Float(1 - pow(Double(b1), t))
            let correction2 = Float(1 - pow(Double(b2), t))
            let shrink = decoupled ? 1 - rate * decay : 1
            let l2 = decoupled ? 0 : decay
            item.parameter.withUnsafeMutableBufferPointer { p in
                item.gradient.withUnsafeBufferPointer { g in
                    state.first.withUnsafeMutableBufferPointer { m in
                        state.second.withUnsafeMutableBufferPointer { v in
                            for i in 0..<count {
                                let gradient = g[i] * scale + l2 * p[i]
                                m[i] = b1 * m[i] + (1 - b1) * gradient
                                v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
                                let denominator = (v[i] / correction2).squareRoot() + eps
                                p[i] = p[i] * shrink - rate * (m[i] / correction1) / denominator
                            }
                        }
                    }
                }
            }
        }
    }
}
