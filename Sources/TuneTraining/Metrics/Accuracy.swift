import TuneCore
import TuneNN

/// The fraction of correct predictions (Keras's `"accuracy"`).
///
/// - ``Kind/binary``: predictions `[N]` or `[N, K]` and targets of the same shape; an element counts as positive
///   when its prediction exceeds the threshold (0.5 on probabilities, 0 on logits) and its target is ≥ 0.5.
///   Every element counts once.
/// - ``Kind/categorical``: predictions `[N, C]`, one-hot targets `[N, C]`; compares row argmaxes.
/// - ``Kind/sparseCategorical``: predictions `[N, C]`, class-index targets `[N]` (or `[N, 1]`).
public final class Accuracy: Metric {
    /// How targets are encoded.
    public enum Kind: Sendable, Equatable {
        /// One probability (or logit) per output, thresholded.
        case binary
        /// One-hot targets `[N, C]`.
        case categorical
        /// Class-index targets `[N]`.
        case sparseCategorical
    }

    public let name: MetricName
    /// How targets are encoded.
    public let kind: Kind
    /// The decision threshold for ``Kind/binary``.
    public let threshold: Float
    /// The number of correct predictions so far.
    public private(set) var correct = 0
    /// The number of predictions so far.
    public private(set) var count = 0

    /// - Parameters:
    ///   - fromLogits: for ``Kind/binary``, whether predictions are logits (threshold 0) rather than probabilities
    ///     (threshold 0.5). Irrelevant to the argmax kinds.
    ///   - threshold: overrides the binary threshold.
    public init(_ kind: Kind = .sparseCategorical, fromLogits: Bool = false, threshold: Float? = nil,
                name: MetricName = .accuracy) {
        self.kind = kind
        self.threshold = threshold ?? (fromLogits ? 0 : 0.5)
        self.name = name
    }

    /// The accuracy that matches `loss`'s target encoding and `fromLogits`.
    public convenience init(matching loss: Loss, name: MetricName = .accuracy) {
        let kind: Kind = switch loss.kind {
        case .binaryCrossEntropy: .binary
        case .categoricalCrossEntropy: .categorical
        case .sparseCategoricalCrossEntropy: .sparseCategorical
        }
        self.init(kind, fromLogits: loss.fromLogits, name: name)
    }

    public func reset() {
        correct = 0
        count = 0
    }

    public func update(predictions: Tensor, targets: Tensor) throws {
        switch kind {
        case .binary:
            guard predictions.shape.rank == 1 || predictions.shape.rank == 2, targets.shape == predictions.shape else {
                throw MetricError.shapeMismatch(metric: name.rawValue, predictions: predictions.shape, targets: targets.shape,
                                                expected: "predictions [N] or [N, K] and targets of the same shape")
            }
            let threshold = self.threshold
            let hits = predictions.withUnsafeBufferPointer { p in
                targets.withUnsafeBufferPointer { y in
                    (0..<p.count).reduce(0) { $0 + ((p[$1] > threshold) == (y[$1] >= 0.5) ? 1 : 0) }
                }
            }
            correct += hits
            count += predictions.elementCount
        case .categorical:
            let expected = "predictions [N, C] and one-hot targets [N, C]"
            let (rows, _) = try MetricSupport.classScores(predictions, targets: targets, metric: name.rawValue, expected: expected)
            guard targets.shape == predictions.shape else {
                throw MetricError.shapeMismatch(metric: name.rawValue, predictions: predictions.shape, targets: targets.shape,
                                                expected: expected)
            }
            guard rows > 0 else { return }
            let predicted = try predictions.argmaxLastAxis(), actual = try targets.argmaxLastAxis()
            correct += zip(predicted, actual).filter { $0 == $1 }.count
            count += rows
        case .sparseCategorical:
            let (rows, classes) = try MetricSupport.classScores(predictions, targets: targets, metric: name.rawValue,
                                                                expected: "predictions [N, C] and class-index targets [N]")
            let labels = try MetricSupport.sparseLabels(targets, count: rows, classes: classes, metric: name.rawValue,
                                                        predictions: predictions.shape)
            guard rows > 0 else { return }
            let predicted = try predictions.argmaxLastAxis()
            correct += zip(predicted, labels).filter { $0 == $1 }.count
            count += rows
        }
    }

    public var result: Float { count == 0 ? 0 : Float(Double(correct) / Double(count)) }
}
