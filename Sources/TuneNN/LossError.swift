import TuneCore

/// Errors thrown by a ``Loss``, each naming the loss (Keras's name, e.g. `"binary_crossentropy"`).
public enum LossError: Error, Equatable, CustomStringConvertible {
    /// Predictions and targets do not have the shapes the loss needs.
    case shapeMismatch(loss: String, predictions: Shape, targets: Shape, expected: String)
    /// The batch has no samples.
    case emptyBatch(loss: String)
    /// `argument` (`"predictions"` or `"targets"`) holds a NaN or infinity at flat `index`.
    case nonFinite(loss: String, argument: String, index: Int)
    /// The target of `sample` is not a valid label; `valid` says what is allowed.
    case labelOutOfRange(loss: String, sample: Int, label: Float, valid: String)
    /// `classWeights` has `got` entries for `expected` classes.
    case classWeightCount(loss: String, expected: Int, got: Int)
    /// An argument (a setting such as `labelSmoothing`, or `predictions`) has a value the loss cannot use.
    case invalidArgument(loss: String, argument: String, message: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(loss, predictions, targets, expected):
            return "\(loss): predictions \(predictions) and targets \(targets) do not fit: expected \(expected)"
        case let .emptyBatch(loss):
            return "\(loss): the batch is empty (0 samples)"
        case let .nonFinite(loss, argument, index):
            return "\(loss): \(argument) contain a non-finite value (NaN or infinity) at index \(index)"
        case let .labelOutOfRange(loss, sample, label, valid):
            return "\(loss): label \(label) of sample \(sample) is out of range (valid: \(valid))"
        case let .classWeightCount(loss, expected, got):
            return "\(loss): classWeights has \(got) entries but there are \(expected) classes"
        case let .invalidArgument(loss, argument, message):
            return "\(loss): \(argument): \(message)"
        }
    }
}
