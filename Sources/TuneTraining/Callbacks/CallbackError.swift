/// Errors thrown by the built-in callbacks, naming the callback and the metric or file concerned.
public enum CallbackError: Error, Equatable, CustomStringConvertible {
    /// The monitored metric is not in the epoch's logs; `available` lists the names that are.
    case unknownMetric(callback: String, monitor: MetricName, available: [MetricName])
    /// A configuration value is out of range.
    case invalidArgument(callback: String, name: String, message: String)
    /// A file could not be opened or written.
    case fileFailed(callback: String, path: String, message: String)
    /// The model's parameters or buffers no longer match a saved snapshot.
    case snapshotMismatch(callback: String, path: String, message: String)

    public var description: String {
        switch self {
        case let .unknownMetric(callback, monitor, available):
            let names = available.isEmpty ? "none" : available.map(\.rawValue).joined(separator: ", ")
            let hint = monitor.isValidation ? " (validation metrics need `validation:` in fit)" : ""
            return "\(callback): the monitored metric \"\(monitor)\" is not in the logs; available metrics: \(names)\(hint)"
        case let .invalidArgument(callback, name, message):
            return "\(callback): \(name): \(message)"
        case let .fileFailed(callback, path, message):
            return "\(callback): \(path): \(message)"
        case let .snapshotMismatch(callback, path, message):
            return "\(callback): cannot restore \(path): \(message)"
        }
    }
}
