import TuneNN

/// Stops training when a monitored metric has stopped improving, like Keras's `EarlyStopping`.
///
/// After each epoch the monitored value is compared with the best so far; an improvement must beat it by more than
/// `minDelta`. After `patience` epochs in a row without improvement (and never after the first epoch), it sets
/// ``Trainer/stopTraining``.
///
/// With `restoreBestWeights`, copies of the model's parameters and buffers are kept in memory from the best epoch (the
/// first epoch's until something improves) and written back into the model's tensors in place — when training is
/// stopped, and at the end of training when the best epoch was not the last one (as Keras 3 does), so after `fit`
/// the model always holds the best epoch's weights.
///
/// A monitored name missing from the epoch's logs throws ``CallbackError/unknownMetric(callback:monitor:available:)``
/// listing the metrics that are there (for example `val_loss` when `fit` has no validation data).
public final class EarlyStopping: Callback {
    /// The metric watched, e.g. `val_loss`.
    public let monitor: MetricName
    /// The smallest change that counts as an improvement.
    public let minDelta: Float
    /// Epochs without improvement tolerated before stopping.
    public let patience: Int
    /// Whether the best epoch's weights are put back.
    public let restoreBestWeights: Bool
    private let tracker: MetricMonitor

    /// The best value seen in the current run.
    public private(set) var bestValue: Float?
    /// The (0-based) epoch of ``bestValue``.
    public private(set) var bestEpoch: Int?
    /// The (0-based) epoch after which training was stopped, or `nil` when it ran to the end.
    public private(set) var stoppedEpoch: Int?
    /// Epochs since the last improvement.
    public private(set) var wait = 0
    private var bestWeights: WeightSnapshot?
    private var lastEpoch: Int?

    /// - Parameters:
    ///   - monitor: the metric to watch.
    ///   - minDelta: the smallest change that counts as an improvement (its sign is ignored).
    ///   - patience: epochs without improvement after which training stops.
    ///   - mode: whether lower or higher is better; `.auto` picks lower for names ending in `loss`.
    ///   - restoreBestWeights: put the best epoch's parameters and buffers back when stopping and at the end.
    public init(monitor: MetricName = .validationLoss, minDelta: Float = 0, patience: Int = 0, mode: MonitorMode = .auto,
                restoreBestWeights: Bool = false) throws {
        guard patience >= 0 else {
            throw CallbackError.invalidArgument(callback: "EarlyStopping", name: "patience", message: "must be at least 0, got \(patience)")
        }
        guard minDelta.isFinite else {
            throw CallbackError.invalidArgument(callback: "EarlyStopping", name: "minDelta", message: "must be finite, got \(minDelta)")
        }
        self.monitor = monitor
        self.minDelta = abs(minDelta)
        self.patience = patience
        self.restoreBestWeights = restoreBestWeights
        self.tracker = MetricMonitor(callback: "EarlyStopping", name: monitor, mode: mode, minDelta: minDelta)
    }

    public func trainingDidBegin(_ trainer: Trainer) throws {
        bestValue = nil
        bestEpoch = nil
        stoppedEpoch = nil
        wait = 0
        bestWeights = nil
        lastEpoch = nil
    }

    public func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        let current = try tracker.value(in: logs)
        lastEpoch = epoch
        if restoreBestWeights && bestWeights == nil { bestWeights = WeightSnapshot(trainer.model) }
        wait += 1
        if tracker.isImprovement(current, over: bestValue) {
            bestValue = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = WeightSnapshot(trainer.model) }
            wait = 0
            return
        }
        if bestEpoch == nil { bestEpoch = epoch }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            trainer.stopTraining = true
            try restoreIfNeeded(trainer)
        }
    }

    public func trainingDidEnd(_ trainer: Trainer, history: History) throws {
        try restoreIfNeeded(trainer)
    }

    /// Puts the best weights back unless the model already holds them (the best epoch was the last one seen).
    private func restoreIfNeeded(_ trainer: Trainer) throws {
        guard restoreBestWeights, let bestWeights, let bestEpoch, bestEpoch != lastEpoch else { return }
        try bestWeights.restore(into: trainer.model, callback: "EarlyStopping")
        lastEpoch = bestEpoch
    }
}
