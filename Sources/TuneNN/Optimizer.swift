import TuneCore

/// Updates a model's trainable parameters from their accumulated gradients.
///
/// Contract shared by ``SGD``, ``Adam`` and ``AdamW``:
/// - ``step(_:)`` reads `model.trainableParameters()` at every step, so freezing or unfreezing layers between steps
///   takes effect at the next step without rebuilding the optimizer. A parameter shared by several layers is updated
///   once; parameters whose `gradient` is `nil` are skipped.
/// - Per-parameter state (momentum, moments) is keyed by the parameter tensor's identity and survives freezing.
/// - Values are updated in place. Gradients are neither modified nor cleared: call `model.zeroGradients()` before
///   the next backward pass.
/// - ``learningRate`` is the base rate. With a ``LearningRateSchedule`` the rate used at iteration t is
///   `schedule.rate(base: learningRate, step: t)`; t is ``iterations`` before the step (0 for the first step).
/// - With `clipGradientNorm`, gradients are scaled by `clip / norm` when their global L2 norm exceeds `clip`
///   (applied during the update; the stored gradients are left as they are).
public protocol Optimizer: AnyObject {
    /// The base learning rate; a callback such as ReduceLROnPlateau may change it between steps.
    var learningRate: Float { get set }
    /// The number of steps taken.
    var iterations: Int { get }
    /// Applies one update to the currently trainable parameters of `model`.
    func step(_ model: Layer) throws
}
