import Foundation
import TuneFormats
import TuneNN

/// Saves the model's state dictionary (parameters and buffers, by dotted path) as safetensors after an epoch, like
/// Keras's `ModelCheckpoint`.
///
/// With `saveBestOnly` (the default) the file is written only when the monitored metric beats the best so far;
/// otherwise after every epoch. `{epoch}` in `path` is replaced by the 1-based epoch number, so
/// `"ckpt-{epoch}.safetensors"` keeps one file per save.
///
/// Writing goes through ``Safetensors/write(_:to:metadata:)``, which writes a temporary file next to the target,
/// `fsync`s it and renames it over the target, so a crash leaves either the previous checkpoint or the new one,
/// never a partial file; the directory is then `fsync`ed (best effort) so the rename itself is durable.
/// The metadata holds `epoch` (1-based), `monitor`, and the monitored value under its own name
/// (e.g. `"val_loss": "0.1234"`, shortest round-trip form) when it is in the logs.
///
/// A monitored name missing from the logs throws ``CallbackError/unknownMetric(callback:monitor:available:)`` when
/// `saveBestOnly` is set.
public final class ModelCheckpoint: Callback {
    /// The file written; `{epoch}` is replaced by the 1-based epoch.
    public let path: String
    /// The metric watched, e.g. `val_loss`.
    public let monitor: MetricName
    /// Whether only improvements are saved.
    public let saveBestOnly: Bool
    private let tracker: MetricMonitor

    /// The best value seen in the current run.
    public private(set) var bestValue: Float?
    /// The files written in the current run, with their 0-based epochs, in order.
    public private(set) var saved: [(epoch: Int, path: String)] = []

    public init(path: String, monitor: MetricName = .validationLoss, saveBestOnly: Bool = true, mode: MonitorMode = .auto) {
        self.path = path
        self.monitor = monitor
        self.saveBestOnly = saveBestOnly
        self.tracker = MetricMonitor(callback: "ModelCheckpoint", name: monitor, mode: mode, minDelta: 0)
    }

    public func trainingDidBegin(_ trainer: Trainer) throws {
        bestValue = nil
        saved = []
    }

    public func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        var metadata = ["epoch": "\(epoch + 1)", "monitor": monitor.rawValue]
        if saveBestOnly {
            let current = try tracker.value(in: logs)
            guard tracker.isImprovement(current, over: bestValue) else { return }
            bestValue = current
            metadata[monitor.rawValue] = "\(current)"
        } else if let current = logs[monitor] {
            if tracker.isImprovement(current, over: bestValue) { bestValue = current }
            metadata[monitor.rawValue] = "\(current)"
        }
        let target = path.replacingOccurrences(of: "{epoch}", with: "\(epoch + 1)")
        try Safetensors.write(Self.state(of: trainer.model), to: target, metadata: metadata)
        Self.syncDirectory(of: target)
        saved.append((epoch, target))
    }

    /// Flushes the directory holding `path` so the rename that published the file survives a crash too
    /// (best effort: some file systems refuse to sync directories, which changes nothing about the file itself).
    static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// The model's parameters then buffers, in registration order, as a state dictionary.
    static func state(of model: Layer) throws -> StateDictionary {
        try StateDictionary((model.namedParameters() + model.namedBuffers()).map { ($0.path, $0.tensor) })
    }
}
