import TuneCore
import TuneNN

/// BERT's input layer: the word, position and token-type embeddings of each token, summed, then LayerNorm and
/// dropout (in training, while the layer is trainable: a frozen layer runs as in inference, as the Keras guide calls
/// its frozen base with `training=False`).
public final class BertEmbeddings: Layer {
    /// The word-piece table, `[vocabularySize, hiddenSize]`.
    public let words: Embedding
    /// The absolute-position table, `[maximumPositions, hiddenSize]`.
    public let positions: Embedding
    /// The token-type (segment) table, `[typeVocabularySize, hiddenSize]`.
    public let tokenTypes: Embedding
    /// The LayerNorm after the sum.
    public let norm: LayerNorm
    private let dropoutRate: Float
    private let maximumPositions: Int

    public init(configuration: BertConfiguration, generator: WeightGenerator) {
        let width = configuration.hiddenSize
        words = Embedding(count: configuration.vocabularySize, dimension: width, generator: generator)
        positions = Embedding(count: configuration.maximumPositions, dimension: width, generator: generator)
        tokenTypes = Embedding(count: configuration.typeVocabularySize, dimension: width, generator: generator)
        norm = LayerNorm(dimension: width, epsilon: configuration.layerNormEpsilon)
        dropoutRate = configuration.hiddenDropout
        maximumPositions = configuration.maximumPositions
        super.init(kind: "BertEmbeddings")
        registerChild("words", words)
        registerChild("positions", positions)
        registerChild("tokenTypes", tokenTypes)
        registerChild("norm", norm)
        markBuilt()
    }

    /// The embedded tokens of `batch`, `[batch, length, hiddenSize]`.
    /// - Throws: ``LayerError/shapeMismatch(layer:expected:got:)`` when the batch is longer than the position table.
    public func callAsFunction(_ batch: TokenIDs, context: ForwardContext) throws -> Tensor {
        let shape: Shape = [batch.batchSize, batch.length]
        guard batch.length <= maximumPositions else {
            throw LayerError.shapeMismatch(layer: kind, expected: "at most \(maximumPositions) tokens per text", got: shape)
        }
        let positionIDs = (0..<batch.batchSize).flatMap { _ in (0..<batch.length).map { Int32($0) } }
        let typeIDs = batch.tokenTypes ?? [Int32](repeating: 0, count: batch.ids.count)
        var sum = try words(batch.ids, shape: shape)
        sum = try sum + positions(positionIDs, shape: shape)
        sum = try sum + tokenTypes(typeIDs, shape: shape)
        return try norm(sum, context: context).droppedOut(rate: dropoutRate, by: self, context: context)
    }
}
