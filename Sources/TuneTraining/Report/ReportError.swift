/// Errors thrown while preparing a ``RunReport``'s content.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    /// A parameter is out of range.
    case invalidArgument(name: String, message: String)

    public var description: String {
        switch self {
        case let .invalidArgument(name, message): return "report: \(name): \(message)"
        }
    }
}
