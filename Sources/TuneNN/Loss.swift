import TuneCore

/// A classification loss: `loss(predictions, targets)` returns the scalar mean loss over the batch, differentiable
/// with respect to `predictions` (targets are treated as constants).
///
/// Conventions follow Keras:
/// - `fromLogits` is `false` by default: predictions are probabilities, clamped to `[1e-7, 1 − 1e-7]`
///   (categorical predictions are first rescaled so each row sums to 1). Pass `fromLogits: true` for raw scores.
/// - Label smoothing replaces targets by `y·(1 − ε) + ε/C` (binary: `y·(1 − ε) + ε/2`).
/// - Class weights give sample i the weight `classWeights[label_i]`; the loss is `Σ wᵢ·lᵢ / N`
///   (Keras's sample-weight reduction, not a weighted mean).
///
/// Invalid input throws a ``LossError`` naming the loss.
public struct Loss: Sendable, Equatable {
    /// The loss families, with Keras's names as raw values.
    public enum Kind: String, Sendable, CaseIterable {
        case binaryCrossEntropy = "binary_crossentropy"
        case categoricalCrossEntropy = "categorical_crossentropy"
        case sparseCategoricalCrossEntropy = "sparse_categorical_crossentropy"
    }

    /// The clamp applied to probabilities (Keras's `epsilon()`).
    public static let probabilityEpsilon: Float = 1e-7

    /// Which loss this is.
    public let kind: Kind
    /// Whether predictions are raw scores (logits) rather than probabilities.
    public let fromLogits: Bool
    /// ε in `[0, 1]`.
    public let labelSmoothing: Float
    /// One weight per class, or `nil` for unweighted samples.
    public let classWeights: [Float]?

    /// Keras's name for the loss, e.g. `"sparse_categorical_crossentropy"`.
    public var name: String { kind.rawValue }

    /// A loss of `kind`; the static constructors below read better at call sites.
    public init(kind: Kind, fromLogits: Bool = false, labelSmoothing: Float = 0, classWeights: [Float]? = nil) {
        self.kind = kind
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
        self.classWeights = classWeights
    }

    /// Binary cross-entropy. Predictions `[N]` or `[N, K]` (K independent outputs, averaged per sample) and
    /// targets of the same shape with values in `[0, 1]`. From logits it uses the stable form
    /// `max(x, 0) − x·y + log(1 + e^−|x|)`. `classWeights` has 2 entries (classes 0 and 1, the target rounded)
    /// and needs one output per sample.
    public static func binaryCrossEntropy(fromLogits: Bool = false, labelSmoothing: Float = 0,
                                          classWeights: [Float]? = nil) -> Loss {
        Loss(kind: .binaryCrossEntropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing, classWeights: classWeights)
    }

    /// Categorical cross-entropy. Predictions `[N, C]`, one-hot (or soft) targets `[N, C]`; a sample's class for
    /// `classWeights` is the argmax of its target row.
    public static func categoricalCrossEntropy(fromLogits: Bool = false, labelSmoothing: Float = 0,
                                               classWeights: [Float]? = nil) -> Loss {
        Loss(kind: .categoricalCrossEntropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing,
             classWeights: classWeights)
    }

    /// Sparse categorical cross-entropy. Predictions `[N, C]`, targets `[N]` (or `[N, 1]`) of class indices
    /// stored as `Float`.
    public static func sparseCategoricalCrossEntropy(fromLogits: Bool = false, labelSmoothing: Float = 0,
                                                     classWeights: [Float]? = nil) -> Loss {
        Loss(kind: .sparseCategoricalCrossEntropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing,
             classWeights: classWeights)
    }

    /// The scalar (rank-0) loss of a batch.
    public func callAsFunction(_ predictions: Tensor, _ targets: Tensor) throws -> Tensor {
        try validateSettings()
        let perSample: Tensor
        let weights: [Float]?
        switch kind {
        case .binaryCrossEntropy:
            (perSample, weights) = try binaryLosses(predictions, targets)
        case .categoricalCrossEntropy:
            (perSample, weights) = try categoricalLosses(predictions, targets)
        case .sparseCategoricalCrossEntropy:
            (perSample, weights) = try sparseLosses(predictions, targets)
        }
        guard let weights else { return try perSample.mean() }
        let count = perSample.shape[0]
        let weightTensor = try Tensor(shape: [count], scalars: weights)
        return try (perSample * weightTensor).sum().scaled(by: 1 / Float(count))
    }

    // MARK: - Families

    /// Per-sample losses `[N]` and optional per-sample weights.
    private func binaryLosses(_ predictions: Tensor, _ targets: Tensor) throws -> (Tensor, [Float]?) {
        let shape = predictions.shape
        let expected = "predictions [N] or [N, K] and targets of the same shape"
        guard shape.rank == 1 || shape.rank == 2, targets.shape == shape else {
            throw LossError.shapeMismatch(loss: name, predictions: shape, targets: targets.shape, expected: expected)
        }
        guard shape[0] > 0 else { throw LossError.emptyBatch(loss: name) }
        let outputs = shape.rank == 2 ? shape[1] : 1
        guard outputs > 0 else {
            throw LossError.shapeMismatch(loss: name, predictions: shape, targets: targets.shape,
                                          expected: "at least one output per sample")
        }
        try checkFinite(predictions, targets)
        let labels = targets.scalars
        for (index, label) in labels.enumerated() where !(0...1).contains(label) {
            throw LossError.labelOutOfRange(loss: name, sample: index / outputs, label: label, valid: "[0, 1]")
        }
        var weights: [Float]?
        if let classWeights {
            try checkClassWeights(classWeights, classes: 2)
            guard outputs == 1 else {
                throw LossError.invalidArgument(loss: name, argument: "classWeights",
                                                message: "class weights need one output per sample, got \(outputs)")
            }
            weights = labels.map { classWeights[$0 >= 0.5 ? 1 : 0] }
        }
        if !fromLogits { try checkProbabilities(predictions) }
        let epsilon = labelSmoothing
        let smoothed = epsilon > 0 ? labels.map { $0 * (1 - epsilon) + epsilon / 2 } : labels
        let y = try Tensor(shape: shape, scalars: smoothed)
        let elementwise: Tensor
        if fromLogits {
            elementwise = try Tensor.sigmoidCrossEntropy(logits: predictions, labels: y)
        } else {
            let oneMinusY = try Tensor(shape: shape, scalars: smoothed.map { 1 - $0 })
            let p = predictions.clamped(low: Self.probabilityEpsilon, high: 1 - Self.probabilityEpsilon)
            let positive = try p.log() * y
            let negative = try p.affine(scale: -1, offset: 1).log() * oneMinusY
            elementwise = -(try positive + negative)
        }
        let perSample = shape.rank == 2 ? try elementwise.mean(axes: [1]) : elementwise
        return (perSample, weights)
    }

    private func categoricalLosses(_ predictions: Tensor, _ targets: Tensor) throws -> (Tensor, [Float]?) {
        let shape = predictions.shape
        guard shape.rank == 2, targets.shape == shape else {
            throw LossError.shapeMismatch(loss: name, predictions: shape, targets: targets.shape,
                                          expected: "predictions [N, C] and one-hot targets [N, C]")
        }
        let (count, classes) = (shape[0], shape[1])
        guard count > 0 else { throw LossError.emptyBatch(loss: name) }
        guard classes > 0 else {
            throw LossError.shapeMismatch(loss: name, predictions: shape, targets: targets.shape, expected: "at least one class")
        }
        try checkFinite(predictions, targets)
        let rows = targets.scalars
        for (index, value) in rows.enumerated() where !(0...1).contains(value) {
            throw LossError.labelOutOfRange(loss: name, sample: index / classes, label: value,
                                            valid: "[0, 1] (one-hot or soft targets)")
        }
        var weights: [Float]?
        if let classWeights {
            try checkClassWeights(classWeights, classes: classes)
            weights = (0..<count).map { row in
                var best = 0
                for c in 1..<classes where rows[row * classes + c] > rows[row * classes + best] { best = c }
                return classWeights[best]
            }
        }
        if !fromLogits { try checkProbabilities(predictions) }
        let epsilon = labelSmoothing
        let smoothed = epsilon > 0 ? rows.map { $0 * (1 - epsilon) + epsilon / Float(classes) } : rows
        let distribution = try Tensor(shape: shape, scalars: smoothed)
        return (try crossEntropy(predictions, distribution), weights)
    }

    private func sparseLosses(_ predictions: Tensor, _ targets: Tensor) throws -> (Tensor, [Float]?) {
        let shape = predictions.shape
        let expected = "predictions [N, C] and class-index targets [N]"
        guard shape.rank == 2, targets.shape == [shape[0]] || targets.shape == [shape[0], 1] else {
            throw LossError.shapeMismatch(loss: name, predictions: shape, targets: targets.shape, expected: expected)
        }
        let (count, classes) = (shape[0], shape[1])
        guard count > 0 else { throw LossError.emptyBatch(loss: name) }
        guard classes > 0 else {
            throw LossError.shapeMismatch(loss: name, predictions: shape, targets: targets.shape, expected: "at least one class")
        }
        try checkFinite(predictions, targets)
        let rawLabels = targets.scalars
        var labels: [Int] = []
        labels.reserveCapacity(count)
        for (sample, label) in rawLabels.enumerated() {
            guard label >= 0, label < Float(classes), label.rounded(.towardZero) == label else {
                throw LossError.labelOutOfRange(loss: name, sample: sample, label: label, valid: "integers 0..<\(classes)")
            }
            labels.append(Int(label))
        }
        var weights: [Float]?
        if let classWeights {
            try checkClassWeights(classWeights, classes: classes)
            weights = labels.map { classWeights[$0] }
        }
        if !fromLogits { try checkProbabilities(predictions) }
        let off = labelSmoothing / Float(classes)
        let on = 1 - labelSmoothing + off
        var smoothed = [Float](repeating: off, count: count * classes)
        for (row, label) in labels.enumerated() { smoothed[row * classes + label] = on }
        let distribution = try Tensor(shape: shape, scalars: smoothed)
        return (try crossEntropy(predictions, distribution), weights)
    }

    /// `−Σ_c y_c · log p_c` per row of `[N, C]` predictions against a constant target distribution.
    private func crossEntropy(_ predictions: Tensor, _ distribution: Tensor) throws -> Tensor {
        let logProbabilities: Tensor
        if fromLogits {
            logProbabilities = try predictions.logSoftmax(axis: 1)
        } else {
            let rowSums = try predictions.sum(axes: [1], keepingDimensions: true)
                .clamped(low: Self.probabilityEpsilon, high: .greatestFiniteMagnitude)
            logProbabilities = try (predictions / rowSums)
                .clamped(low: Self.probabilityEpsilon, high: 1 - Self.probabilityEpsilon).log()
        }
        return -(try (logProbabilities * distribution).sum(axes: [1]))
    }

    // MARK: - Validation

    private func validateSettings() throws {
        guard labelSmoothing.isFinite, (0...1).contains(labelSmoothing) else {
            throw LossError.invalidArgument(loss: name, argument: "labelSmoothing",
                                            message: "must be in [0, 1], got \(labelSmoothing)")
        }
        if let classWeights, let bad = classWeights.first(where: { !$0.isFinite || $0 < 0 }) {
            throw LossError.invalidArgument(loss: name, argument: "classWeights",
                                            message: "weights must be finite and non-negative, got \(bad)")
        }
    }

    private func checkClassWeights(_ weights: [Float], classes: Int) throws {
        guard weights.count == classes else {
            throw LossError.classWeightCount(loss: name, expected: classes, got: weights.count)
        }
    }

    private func checkFinite(_ predictions: Tensor, _ targets: Tensor) throws {
        if let index = Self.firstNonFinite(predictions) {
            throw LossError.nonFinite(loss: name, argument: "predictions", index: index)
        }
        if let index = Self.firstNonFinite(targets) {
            throw LossError.nonFinite(loss: name, argument: "targets", index: index)
        }
    }

    /// Probabilities must lie in [0, 1]; anything else almost always means logits passed without `fromLogits`.
    private func checkProbabilities(_ predictions: Tensor) throws {
        let bad = predictions.withUnsafeBufferPointer { values in
            values.firstIndex { !(0...1).contains($0) }.map { ($0, values[$0]) }
        }
        if let (index, value) = bad {
            throw LossError.invalidArgument(loss: name, argument: "predictions",
                                            message: "probabilities must lie in [0, 1] when fromLogits is false "
                                                + "(found \(value) at index \(index)); pass fromLogits: true for raw scores")
        }
    }

    private static func firstNonFinite(_ tensor: Tensor) -> Int? {
        tensor.withUnsafeBufferPointer { values in values.firstIndex { !$0.isFinite } }
    }
}
