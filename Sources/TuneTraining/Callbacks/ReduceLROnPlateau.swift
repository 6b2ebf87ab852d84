/// Lowers the optimizer's learning rate when a monitored metric has stopped improving, like Keras's
/// `ReduceLROnPlateau`.
///
/// After `patience` epochs in a row without an improvement larger than `minDelta`, the learning rate becomes
/// `max(learningRate * factor, minLearningRate)` on ``Trainer/optimizer``; then `cooldown` epochs pass before the
/// wait starts counting again. A rate already at or below `minLearningRate` is left alone. A monitored name missing
/// from the logs throws ``CallbackError/unknownMetric(callback:monitor:available:)``.
public final class ReduceLROnPlateau: Callback {
    /// The metric watched, e.g. `val_loss`.
    public let monitor: MetricName
    /// The factor the rate is multiplied by, in (0, 1).
    public let factor: Float
    /// Epochs without improvement before a reduction.
    public let patience: Int
    /// The smallest change that counts as an improvement.
    public let minDelta: Float
    /// Epochs to wait after a reduction before counting again.
    public let cooldown: Int
    /// The floor for the learning rate.
    public let minLearningRate: Float
    private let tracker: MetricMonitor

    /// The best value seen in the current run.
    public private(set) var bestValue: Float?
    /// Epochs since the last improvement (outside cooldown).
    public private(set) var wait = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownCounter = 0
    /// Every reduction made in the current run: (0-based epoch, old rate, new rate).
    public private(set) var reductions: [(epoch: Int, from: Float, to: Float)] = []

    public init(monitor: MetricName = .validationLoss, factor: Float = 0.1, patience: Int = 10, mode: MonitorMode = .auto,
                minDelta: Float = 1e-4, cooldown: Int = 0, minLearningRate: Float = 0) throws {
        func bad(_ name: String, _ message: String) -> CallbackError {
            .invalidArgument(callback: "ReduceLROnPlateau", name: name, message: message)
        }
        guard factor > 0 && factor < 1 else { throw bad("factor", "must be in (0, 1), got \(factor)") }
        guard patience >= 0 else { throw bad("patience", "must be at least 0, got \(patience)") }
        guard cooldown >= 0 else { throw bad("cooldown", "must be at least 0, got \(cooldown)") }
        guard minDelta.isFinite else { throw bad("minDelta", "must be finite, got \(minDelta)") }
        guard minLearningRate >= 0 && minLearningRate.isFinite else {
            throw bad("minLearningRate", "must be finite and at least 0, got \(minLearningRate)")
        }
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.minDelta = abs(minDelta)
        self.cooldown = cooldown
        self.minLearningRate = minLearningRate
        self.tracker = MetricMonitor(callback: "ReduceLROnPlateau", name: monitor, mode: mode, minDelta: minDelta)
    }

    /// Whether a reduction happened less than `cooldown` epochs ago.
    public var inCooldown: Bool { cooldownCounter > 0 }

    public func trainingDidBegin(_ trainer: Trainer) throws {
        bestValue = nil
        wait = 0
        cooldownCounter = 0
        reductions = []
    }

    public func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        let current = try tracker.value(in: logs)
        if inCooldown {
            cooldownCounter -= 1
            wait = 0
        }
        if tracker.isImprovement(current, over: bestValue) {
            bestValue = current
            wait = 0
            return
        }
        guard !inCooldown else { return }
        wait += 1
        guard wait >= patience else { return }
        let old = trainer.optimizer.learningRate
        if old > minLearningRate {
            let new = Swift.max(old * factor, minLearningRate)
            trainer.optimizer.learningRate = new
            reductions.append((epoch, old, new))
            cooldownCounter = cooldown
            wait = 0
        }
    }
}
