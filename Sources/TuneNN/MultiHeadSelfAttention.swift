import TuneCore

/// Multi-head scaled dot-product self-attention, as BERT's `BertSelfAttention`: the input `[B, T, width]` is projected
/// to queries, keys and values, split into `heads` heads of `width / heads` features, each query attends over the keys
/// with `softmax(Q·Kᵀ / √d + mask)`, the probabilities (dropped out in training mode) mix the values, and the heads are
/// merged and projected by `output`.
///
/// Children, in order: `query`, `key`, `value`, `output`, each a ``Dense`` width → width with a bias (weights drawn
/// from N(0, 0.02²) as BERT initializes them). ``replace(_:with:)`` puts another layer in a projection's place under the
/// same name (a ``LoRADense`` wrapping it), so parameter paths do not change. The residual connection and layer norm
/// after the output projection (Hugging Face's `BertSelfOutput`) are not part of this layer.
public final class MultiHeadSelfAttention: Layer {
    /// The model width (input and output features).
    public let width: Int
    /// The number of attention heads; must divide ``width``.
    public let heads: Int
    /// The dropout rate on the attention probabilities, in training mode.
    public let dropoutRate: Float
    /// The query projection: a ``Dense``, or what ``replace(_:with:)`` put in its place.
    public private(set) var query: Layer
    /// The key projection.
    public private(set) var key: Layer
    /// The value projection.
    public private(set) var value: Layer
    /// The output projection, after the heads are merged.
    public private(set) var output: Layer

    /// One of the four projections, named as its child.
    public enum Projection: String, CaseIterable, Sendable {
        case query, key, value, output
    }

    /// A width that `heads` does not divide, or a dropout rate outside `[0, 1)`, is reported on the first call.
    /// - Parameter generator: where the initial weights are drawn from (see ``WeightGenerator``).
    public init(width: Int, heads: Int, dropout: Float = 0.1, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        precondition(width >= 0, "MultiHeadSelfAttention: width \(width) must not be negative")
        self.width = width
        self.heads = heads
        dropoutRate = dropout
        func projection() -> Dense {
            Dense(width, inFeatures: width, kernelInitializer: .normal(standardDeviation: 0.02), generator: generator)
        }
        query = projection()
        key = projection()
        value = projection()
        output = projection()
        super.init(kind: "MultiHeadSelfAttention")
        registerChild("query", query)
        registerChild("key", key)
        registerChild("value", value)
        registerChild("output", output)
        markBuilt()
    }

    /// Attends over `input` (`[B, T, width]`) with the additive `mask` (`[B, 1, 1, T]` from
    /// ``Tensor/additivePaddingMask(_:batch:length:)``, or any shape that broadcasts to `[B, heads, T, T]`);
    /// returns `[B, T, width]`. Padded keys (mask −∞) receive no attention.
    public func callAsFunction(_ input: Tensor, mask: Tensor, context: ForwardContext) throws -> Tensor {
        guard heads > 0, width % heads == 0 else {
            throw LayerError.invalidConfiguration(layer: kind, message: "width \(width) is not divisible by \(heads) heads")
        }
        guard dropoutRate >= 0, dropoutRate < 1 else {
            throw LayerError.invalidConfiguration(layer: kind, message: "dropout rate \(dropoutRate) must be in [0, 1)")
        }
        guard input.shape.rank == 3, input.shape[2] == width else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[B, T, \(width)]", got: input.shape)
        }
        let batch = input.shape[0], length = input.shape[1], size = width / heads
        /// `[B, T, width]` → `[B · heads, T, size]`.
        func splitHeads(_ x: Tensor) throws -> Tensor {
            try x.reshaped(to: [batch, length, heads, size]).transposed([0, 2, 1, 3]).reshaped(to: [batch * heads, length, size])
        }
        let queries = try splitHeads(query(input, context: context))
        let keys = try splitHeads(key(input, context: context))
        let values = try splitHeads(value(input, context: context))
        let scores = try queries.matmul(keys, transposingOther: true).reshaped(to: [batch, heads, length, length])
        var probabilities = try scores.maskedSoftmax(adding: mask, scale: 1 / Float(size).squareRoot())
        if context.isTraining, dropoutRate > 0 {
            probabilities = try probabilities.dropout(rate: dropoutRate, generator: &context.generator)
        }
        let mixed = try probabilities.reshaped(to: [batch * heads, length, length]).matmul(values)
        let merged = try mixed.reshaped(to: [batch, heads, length, size]).transposed([0, 2, 1, 3])
            .reshaped(to: [batch, length, width])
        return try output(merged, context: context)
    }

    /// The layer in `projection`'s place.
    public func layer(_ projection: Projection) -> Layer {
        switch projection {
        case .query: return query
        case .key: return key
        case .value: return value
        case .output: return output
        }
    }

    /// Puts `layer` in `projection`'s place, under the same child name (so the same parameter paths when it keeps the
    /// tensors: a ``LoRADense`` wrapping the projection, or the ``Dense`` ``LoRADense/merged()`` returns). It must map
    /// `[…, width]` to `[…, width]`; a layer that does not is reported on the next call.
    public func replace(_ projection: Projection, with layer: Layer) {
        switch projection {
        case .query: query = layer
        case .key: key = layer
        case .value: value = layer
        case .output: output = layer
        }
        registerChild(projection.rawValue, layer)
    }

    /// Attention with no mask: every position attends to every position.
    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try callAsFunction(input, mask: Tensor(scalar: 0), context: context)
    }
}
