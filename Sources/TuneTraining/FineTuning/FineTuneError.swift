/// Problems with a fine-tuning run, naming the option, file or epoch involved.
public enum FineTuneError: Error, Equatable, CustomStringConvertible {
    /// An option has a value the recipe cannot use.
    case invalidOption(name: String, message: String)
    /// The run folder cannot be used (missing checkpoint when resuming, an existing run when starting …).
    case runFolder(path: String, message: String)
    /// Training stopped because the loss stopped being finite; the last good checkpoint is kept.
    case nonFiniteLoss(message: String, checkpoint: String?)

    public var description: String {
        switch self {
        case let .invalidOption(name, message):
            return "--\(name): \(message)"
        case let .runFolder(path, message):
            return "\(path): \(message)"
        case let .nonFiniteLoss(message, checkpoint):
            let kept = checkpoint.map { "; the last good checkpoint is kept in \($0)" } ?? "; no epoch had completed, so no checkpoint was written"
            return "TerminateOnNaN: \(message)\(kept)"
        }
    }
}
