/// Errors thrown while evaluating a classifier's predictions; each case says which input is at fault.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// The true and predicted label arrays differ in length.
    case countMismatch(trueLabels: Int, predictedLabels: Int)
    /// An input that must not be empty is (`what` names it, e.g. `"classNames"`).
    case emptyInput(what: String)
    /// `array[index]` holds `value`, which is not a class index in `0..<classCount`.
    case labelOutOfRange(array: String, index: Int, value: Int, classCount: Int)

    public var description: String {
        switch self {
        case let .countMismatch(trueCount, predictedCount):
            return "evaluation: \(trueCount) true labels but \(predictedCount) predicted labels; "
                + "they must pair up one to one"
        case let .emptyInput(what):
            return "evaluation: \(what) is empty"
        case let .labelOutOfRange(array, index, value, classCount):
            return "evaluation: \(array)[\(index)] = \(value) is not a class index in 0..<\(classCount)"
        }
    }
}
