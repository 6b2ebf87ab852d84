import TuneNN

/// The metrics a ``Trainer`` reports, chosen by name like Keras's `metrics=["accuracy"]`; the trainer makes fresh
/// trackers per epoch and per evaluation, matched to its loss.
public enum TrainingMetric: Sendable, Equatable {
    /// Accuracy in the loss's encoding (binary, one-hot or sparse; logits or probabilities).
    case accuracy
    /// Whether the true class is among the `k` highest scores (sparse targets).
    case topKAccuracy(Int)

    /// A new tracker for this metric under `loss`.
    public func make(for loss: Loss) throws -> any Metric {
        switch self {
        case .accuracy:
            return Accuracy(matching: loss)
        case .topKAccuracy(let k):
            guard loss.kind == .sparseCategoricalCrossEntropy else {
                throw TrainingError.invalidArgument(name: "metrics", message: "top-\(k) accuracy needs sparse class-index targets")
            }
            return TopKAccuracy(k: k)
        }
    }
}
