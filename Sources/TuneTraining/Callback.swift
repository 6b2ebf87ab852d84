import TuneNN

/// Hooks into ``Trainer/fit(_:epochs:validation:callbacks:)``. Every method has an empty default.
///
/// `logs` carry the running or final metrics by name (`loss`, `accuracy`, `val_loss`, …).
/// A callback stops training by setting ``Trainer/stopTraining``.
public protocol Callback: AnyObject {
    func trainingDidBegin(_ trainer: Trainer) throws
    func trainingDidEnd(_ trainer: Trainer, history: History) throws
    func epochDidBegin(_ epoch: Int, trainer: Trainer) throws
    func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws
    func batchDidBegin(_ batch: Int, trainer: Trainer) throws
    func batchDidEnd(_ batch: Int, logs: [MetricName: Float], trainer: Trainer) throws
}

extension Callback {
    public func trainingDidBegin(_ trainer: Trainer) throws {}
    public func trainingDidEnd(_ trainer: Trainer, history: History) throws {}
    public func epochDidBegin(_ epoch: Int, trainer: Trainer) throws {}
    public func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {}
    public func batchDidBegin(_ batch: Int, trainer: Trainer) throws {}
    public func batchDidEnd(_ batch: Int, logs: [MetricName: Float], trainer: Trainer) throws {}
}

/// The per-epoch record of a ``Trainer/fit(_:epochs:validation:callbacks:)`` run.
public struct History: Sendable, Equatable {
    /// One entry per completed epoch: metric name → value (`loss`, `accuracy`, `val_loss`, `val_accuracy`, …).
    public internal(set) var epochs: [[MetricName: Float]] = []

    public init() {}

    /// The values of one metric across epochs (missing epochs are skipped).
    public func values(_ name: MetricName) -> [Float] { epochs.compactMap { $0[name] } }

    /// The metric names recorded: training before validation, losses first (``MetricName/displayOrder(_:_:)``).
    public var metricNames: [MetricName] {
        Set(epochs.flatMap(\.keys)).sorted(by: MetricName.displayOrder)
    }
}
