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
            let update = AdamUpdate(rate: rate, scale: scale, beta1: b1, beta2: b2, epsilon: eps,
                                    correction1: Float(1 - pow(Double(b1), t)), correction2: Float(1 - pow(Double(b2), t)),
                                    shrink: decoupled ? 1 - rate * decay : 1, l2: decoupled ? 0 : decay)
            item.parameter.withUnsafeMutableBufferPointer { p in
                item.gradient.withUnsafeBufferPointer { g in
                    state.first.withUnsafeMutableBufferPointer { m in
                        state.second.withUnsafeMutableBufferPointer { v in
                            update.apply(p, g, m, v, count: count)
                        }
                    }
                }
            }
        }
    }
}

/// One Adam update of a parameter's elements, sixteen lanes at a time. Every lane does the scalar loop's IEEE
/// operations in the same order (no fused or reassociated arithmetic), so the results are bit-identical to it.
struct AdamUpdate {
    let rate, scale, beta1, beta2, epsilon, correction1, correction2, shrink, l2: Float

    /// Elements per unit of work when a large parameter is spread over the compute threads.
    static let chunkLength = 1 << 15

    /// Updates `count` elements; large parameters are split into chunks run on the compute threads (each element's
    /// arithmetic does not depend on the split, so the result is the same for any thread count).
    func apply(_ p: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>,
               _ m: UnsafeMutableBufferPointer<Float>, _ v: UnsafeMutableBufferPointer<Float>, count: Int) {
        guard let pp = p.baseAddress, let gp = g.baseAddress, let mp = m.baseAddress, let vp = v.baseAddress else { return }
        guard count >= 2 * Self.chunkLength else {
            applyInOneRun(pp, gp, mp, vp, count: count)
            return
        }
        let chunks = (count + Self.chunkLength - 1) / Self.chunkLength
        ComputeThreads.parallelFor(chunks) { chunk in
            let start = chunk * Self.chunkLength
            applyInOneRun(pp + start, gp + start, mp + start, vp + start, count: min(Self.chunkLength, count - start))
        }
    }

    private func applyInOneRun(_ pp: UnsafeMutablePointer<Float>, _ gp: UnsafePointer<Float>,
                               _ mp: UnsafeMutablePointer<Float>, _ vp: UnsafeMutablePointer<Float>, count: Int) {
        typealias Lanes = SIMD16<Float>
        let width = Lanes.scalarCount
        var i = 0
        while i + width <= count {
            let (rawP, rawM, rawV) = (UnsafeMutableRawPointer(pp + i), UnsafeMutableRawPointer(mp + i), UnsafeMutableRawPointer(vp + i))
            let parameter = rawP.loadUnaligned(as: Lanes.self)
            let gradient = UnsafeRawPointer(gp + i).loadUnaligned(as: Lanes.self) * scale + l2 * parameter
            let first = beta1 * rawM.loadUnaligned(as: Lanes.self) + (1 - beta1) * gradient
            let second = beta2 * rawV.loadUnaligned(as: Lanes.self) + (1 - beta2) * gradient * gradient
            let denominator = (second / correction2).squareRoot() + epsilon
            rawM.storeBytes(of: first, as: Lanes.self)
            rawV.storeBytes(of: second, as: Lanes.self)
            rawP.storeBytes(of: parameter * shrink - rate * (first / correction1) / denominator, as: Lanes.self)
            i += width
        }
        while i < count {
            let gradient = gp[i] * scale + l2 * pp[i]
            mp[i] = beta1 * mp[i] + (1 - beta1) * gradient
            vp[i] = beta2 * vp[i] + (1 - beta2) * gradient * gradient
            let denominator = (vp[i] / correction2).squareRoot() + epsilon
            pp[i] = pp[i] * shrink - rate * (mp[i] / correction1) / denominator
            i += 1
        }
    }
}
