/// Errors thrown by tensor operations, each naming the operation and what was wrong.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Operand shapes do not fit the operation.
    case shapeMismatch(op: String, shapes: [Shape], message: String)
    /// An argument is out of its allowed range.
    case invalidArgument(op: String, message: String)
    /// A value is NaN or infinite where a finite number is required.
    case nonFinite(op: String, message: String)
    /// A batch has no samples.
    case emptyBatch(op: String)
    /// A library call failed; `status` is the library's own status text.
    case backend(library: String, call: String, status: String)
    /// Gradient bookkeeping was used incorrectly.
    case gradient(message: String)
    /// Another lane of the same batch failed, so this one stopped waiting for it (the other lane's error says why).
    case laneAbandoned

    public var description: String {
        switch self {
        case let .shapeMismatch(op, shapes, message):
            return "\(op): shape mismatch \(shapes.map(\.description).joined(separator: " vs ")): \(message)"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        case let .nonFinite(op, message):
            return "\(op): non-finite value: \(message)"
        case let .emptyBatch(op):
            return "\(op): the batch is empty (0 samples)"
        case let .backend(library, call, status):
            return "\(library): \(call) failed with status \(status)"
        case let .gradient(message):
            return "autodiff: \(message)"
        case .laneAbandoned:
            return "lanes: another lane of this batch failed"
        }
    }
}
