import Foundation

/// How the learning rate changes with the optimizer's iteration count. A schedule scales the optimizer's base
/// ``Optimizer/learningRate``, so a callback that lowers the base rate lowers the whole schedule.
///
/// Steps count from 0 (the first optimizer step).
public enum LearningRateSchedule: Sendable, Equatable {
    /// The base rate at every step.
    case constant
    /// `base · factor^⌊step / every⌋` (staircase decay, like PyTorch's `StepLR`).
    case stepDecay(every: Int, factor: Float)
    /// Cosine decay from `base` to `base · minimumFactor` over `steps` steps, then flat (Keras's `CosineDecay`,
    /// whose `alpha` is `minimumFactor`): `base · ((1 − m) · ½(1 + cos(π · min(step, steps) / steps)) + m)`.
    case cosineDecay(steps: Int, minimumFactor: Float = 0)
    /// Linear warm-up `base · (step + 1) / steps` for the first `steps` steps, then `schedule` started from its own
    /// step 0.
    indirect case warmup(steps: Int, then: LearningRateSchedule = .constant)

    /// The learning rate at `step` for base rate `base`.
    public func rate(base: Float, step: Int) -> Float {
        let step = max(step, 0)
        switch self {
        case .constant:
            return base
        case let .stepDecay(every, factor):
            guard every > 0 else { return base }
            return base * Float(pow(Double(factor), Double(step / every)))
        case let .cosineDecay(steps, minimumFactor):
            guard steps > 0 else { return base }
            let progress = Double(min(step, steps)) / Double(steps)
            let cosine = 0.5 * (1 + cos(Double.pi * progress))
            let factor = (1 - Double(minimumFactor)) * cosine + Double(minimumFactor)
            return Float(Double(base) * factor)
        case let .warmup(steps, schedule):
            guard step >= steps else { return base * Float(step + 1) / Float(steps) }
            return schedule.rate(base: base, step: step - steps)
        }
    }

    /// Why the schedule cannot be used, or `nil` when it is valid.
    var problem: String? {
        switch self {
        case .constant:
            return nil
        case let .stepDecay(every, factor):
            if every <= 0 { return "stepDecay needs every > 0, got \(every)" }
            if !factor.isFinite || factor < 0 { return "stepDecay needs a finite factor ≥ 0, got \(factor)" }
            return nil
        case let .cosineDecay(steps, minimumFactor):
            if steps <= 0 { return "cosineDecay needs steps > 0, got \(steps)" }
            if !(0...1).contains(minimumFactor) { return "cosineDecay needs minimumFactor in [0, 1], got \(minimumFactor)" }
            return nil
        case let .warmup(steps, schedule):
            if steps < 0 { return "warmup needs steps ≥ 0, got \(steps)" }
            return schedule.problem
        }
    }
}
