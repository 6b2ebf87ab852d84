import TuneCore
import TuneNN

/// Whether a monitored metric improves by going down or up.
public enum MonitorMode: Sendable, Equatable {
    /// `min` for names ending in `loss`, `max` otherwise (accuracy and friends).
    case auto
    /// Lower is better.
    case min
    /// Higher is better.
    case max
}

/// Reads one metric from epoch logs and decides whether a value improves on the best so far.
struct MetricMonitor: Sendable {
    let callback: String
    let name: MetricName
    let minDelta: Float
    /// Whether lower values are better, after resolving ``MonitorMode/auto``.
    let lowerIsBetter: Bool

    init(callback: String, name: MetricName, mode: MonitorMode, minDelta: Float) {
        self.callback = callback
        self.name = name
        self.minDelta = abs(minDelta)
        switch mode {
        case .min: lowerIsBetter = true
        case .max: lowerIsBetter = false
        case .auto: lowerIsBetter = name.isLoss
        }
    }

    /// The metric's value in `logs`; throws ``CallbackError/unknownMetric(callback:monitor:available:)`` listing
    /// the names present when it is missing.
    func value(in logs: [MetricName: Float]) throws -> Float {
        guard let value = logs[name] else {
            throw CallbackError.unknownMetric(callback: callback, monitor: name, available: History(epochs: [logs]).metricNames)
        }
        return value
    }

    /// Whether `current` beats `best` by more than `minDelta` (any finite value beats no best). NaN never improves.
    func isImprovement(_ current: Float, over best: Float?) -> Bool {
        guard !current.isNaN else { return false }
        guard let best else { return true }
        return lowerIsBetter ? current < best - minDelta : current > best + minDelta
    }
}

/// Copies of a model's parameters and buffers by path, to put back later.
struct WeightSnapshot {
    let tensors: [(path: String, tensor: Tensor)]

    init(_ model: Layer) {
        tensors = (model.namedParameters() + model.namedBuffers()).map { ($0.path, $0.tensor.copy()) }
    }

    /// Writes the saved values back into `model`'s tensors in place (their identity, and so optimizer state, is kept).
    func restore(into model: Layer, callback: String) throws {
        let current = model.namedParameters() + model.namedBuffers()
        guard current.count == tensors.count else {
            throw CallbackError.snapshotMismatch(callback: callback, path: "model",
                                                 message: "the model has \(current.count) tensors, the snapshot \(tensors.count)")
        }
        for (live, saved) in zip(current, tensors) {
            guard live.path == saved.path, live.tensor.shape == saved.tensor.shape else {
                throw CallbackError.snapshotMismatch(callback: callback, path: live.path,
                                                     message: "expected \(saved.path) of shape \(saved.tensor.shape), found shape \(live.tensor.shape)")
            }
            try live.tensor.assign(saved.tensor)
        }
    }
}
