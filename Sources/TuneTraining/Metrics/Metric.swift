import TuneCore

/// A running evaluation measure: ``update(predictions:targets:)`` folds in a batch, ``result`` reads the value over
/// everything seen since ``reset()`` (0 before any update). Names follow Keras (`"accuracy"`, `"top_5_accuracy"`,
/// `"loss"`), as they appear in logs.
public protocol Metric: AnyObject {
    var name: MetricName { get }
    func reset()
    func update(predictions: Tensor, targets: Tensor) throws
    var result: Float { get }
}

/// Errors thrown by a ``Metric``, naming the metric.
public enum MetricError: Error, Equatable, CustomStringConvertible {
    /// Predictions and targets do not have the shapes the metric needs.
    case shapeMismatch(metric: String, predictions: Shape, targets: Shape, expected: String)
    /// The target of `sample` is not a valid class index; `valid` says what is allowed.
    case labelOutOfRange(metric: String, sample: Int, label: Float, valid: String)
    /// A setting (`argument`, e.g. `"k"`) has a value the metric cannot use.
    case invalidArgument(metric: String, argument: String, message: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(metric, predictions, targets, expected):
            return "\(metric): predictions \(predictions) and targets \(targets) do not fit: expected \(expected)"
        case let .labelOutOfRange(metric, sample, label, valid):
            return "\(metric): label \(label) of sample \(sample) is out of range (valid: \(valid))"
        case let .invalidArgument(metric, argument, message):
            return "\(metric): \(argument): \(message)"
        }
    }
}

/// Helpers the classification metrics share.
enum MetricSupport {
    /// Class indices from `[N]` or `[N, 1]` targets, checked against `classes`.
    static func sparseLabels(_ targets: Tensor, count: Int, classes: Int, metric: String,
                             predictions: Shape) throws -> [Int] {
        guard targets.shape == [count] || targets.shape == [count, 1] else {
            throw MetricError.shapeMismatch(metric: metric, predictions: predictions, targets: targets.shape,
                                            expected: "predictions [N, C] and class-index targets [N]")
        }
        return try targets.scalars.enumerated().map { sample, label in
            guard label >= 0, label < Float(classes), label.rounded(.towardZero) == label else {
                throw MetricError.labelOutOfRange(metric: metric, sample: sample, label: label, valid: "integers 0..<\(classes)")
            }
            return Int(label)
        }
    }

    /// The `[N, C]` dimensions of class-score predictions.
    static func classScores(_ predictions: Tensor, targets: Tensor, metric: String, expected: String) throws -> (Int, Int) {
        guard predictions.shape.rank == 2, predictions.shape[1] > 0 else {
            throw MetricError.shapeMismatch(metric: metric, predictions: predictions.shape, targets: targets.shape,
                                            expected: expected)
        }
        return (predictions.shape[0], predictions.shape[1])
    }
}
