import TuneCore
import TuneNN

/// The fraction of samples whose true class is among the `k` highest-scoring classes, for predictions `[N, C]` and
/// class-index targets `[N]` (or `[N, 1]`). Named `"top_<k>_accuracy"` by default.
///
/// Ties follow TensorFlow's `in_top_k`: the true class counts as in the top k when fewer than k classes score
/// strictly higher; a NaN score for the true class never counts.
public final class TopKAccuracy: Metric {
    public let name: MetricName
    /// How many of the best-scoring classes count as a hit.
    public let k: Int
    /// The number of hits so far.
    public private(set) var correct = 0
    /// The number of samples so far.
    public private(set) var count = 0

    /// - Parameters:
    ///   - k: the number of top classes (must be positive; checked on update).
    ///   - name: defaults to `"top_<k>_accuracy"`.
    public init(k: Int = 5, name: MetricName? = nil) {
        self.k = k
        self.name = name ?? MetricName("top_\(k)_accuracy")
    }

    public func reset() {
        correct = 0
        count = 0
    }

    public func update(predictions: Tensor, targets: Tensor) throws {
        guard k > 0 else { throw MetricError.invalidArgument(metric: name.rawValue, argument: "k", message: "must be positive, got \(k)") }
        let (rows, classes) = try MetricSupport.classScores(predictions, targets: targets, metric: name.rawValue,
                                                            expected: "predictions [N, C] and class-index targets [N]")
        let labels = try MetricSupport.sparseLabels(targets, count: rows, classes: classes, metric: name.rawValue,
                                                    predictions: predictions.shape)
        let k = self.k
        let hits = predictions.withUnsafeBufferPointer { scores in
            labels.enumerated().reduce(0) { total, sample in
                let row = sample.offset * classes
                let target = scores[row + sample.element]
                guard !target.isNaN else { return total }
                var higher = 0
                for c in 0..<classes where scores[row + c] > target { higher += 1 }
                return total + (higher < k ? 1 : 0)
            }
        }
        correct += hits
        count += rows
    }

    public var result: Float { count == 0 ? 0 : Float(Double(correct) / Double(count)) }
}
