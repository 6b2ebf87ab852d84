import TuneCore
import TuneFormats
import TuneNN

/// A BERT-class text encoder (Hugging Face's `BertModel` without its pooler): embeddings, then
/// ``BertConfiguration/layerCount`` transformer layers. It maps token ids to one hidden state per token, and pools
/// them into one vector per text.
///
/// ```swift
/// let encoder = try BertEncoder(folder: "models/minilm-l6")      // config.json + model.safetensors
/// let states = try encoder.hiddenStates(batch)                     // [batch, length, 384]
/// let sentences = try encoder.pooled(batch, pooling: .mean)        // [batch, 384]
/// ```
public final class BertEncoder: Layer {
    /// The shape it was built with.
    public let configuration: BertConfiguration
    /// The input layer.
    public let embeddings: BertEmbeddings
    /// The transformer layers in order: what `last-layers:N` counts.
    public let layers: [BertLayer]
    /// The LoRA adapters' shape once ``applyLoRA(_:generator:)`` has put them on; `nil` without adapters.
    public internal(set) var loraConfiguration: LoRAConfiguration?

    /// An encoder of `configuration`'s shape with random weights drawn from `generator`.
    public init(configuration: BertConfiguration, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.configuration = configuration
        embeddings = BertEmbeddings(configuration: configuration, generator: generator)
        layers = (0..<configuration.layerCount).map { _ in BertLayer(configuration: configuration, generator: generator) }
        super.init(kind: "BertEncoder")
        registerChild("embeddings", embeddings)
        for (index, layer) in layers.enumerated() { registerChild("layers.\(index)", layer) }
        markBuilt()
    }

    /// The last layer's hidden states, `[batchSize, length, hiddenSize]`. Padding (mask 0) is never attended to; its
    /// own states are computed but mean nothing.
    public func hiddenStates(_ batch: TokenIDs, context: ForwardContext = .inference) throws -> Tensor {
        try hiddenStates(batch, layers: 0..<layers.count, context: context)
    }

    /// The hidden states after `layers` (a prefix or a middle slice), starting from the embeddings when the range
    /// starts at 0, else from `input`.
    func hiddenStates(_ batch: TokenIDs, layers range: Range<Int>, from input: Tensor? = nil,
                      context: ForwardContext) throws -> Tensor {
        let mask = try Tensor.additivePaddingMask(batch.attentionMask, batch: batch.batchSize, length: batch.length)
        var hidden = try input ?? embeddings(batch, context: context)
        for index in range { hidden = try layers[index](hidden, mask: mask, context: context) }
        return hidden
    }

    /// One vector per text, `[batchSize, hiddenSize]`: the mean of the token states over the attention mask
    /// (sentence-transformers' mean pooling) or the `[CLS]` state.
    public func pooled(_ batch: TokenIDs, pooling: TextPooling = .mean, context: ForwardContext = .inference) throws -> Tensor {
        try pooling.pool(try hiddenStates(batch, context: context), batch: batch)
    }

    /// How Hugging Face's `BertModel` keys name this encoder's parameters.
    public var keyMap: BertKeyMap { BertKeyMap(layerCount: layers.count) }

    /// Loads a Hugging Face `BertModel` weight file (safetensors or PyTorch) strictly, through ``BertKeyMap``. With
    /// LoRA applied, it loads the base weights (which keep their paths) and leaves the adapters as they are.
    /// - Throws: ``LoadError`` naming the file and every missing, unexpected or mis-shaped tensor.
    public func loadCheckpoint(path: String) throws {
        let state = try WeightFile.read(path: path).tensors
        do {
            try load(try keyMap.checkpointKeyMap.apply(to: state, file: path), strict: true, ignoring: Set(adapterPaths))
        } catch var error as LoadError {
            error.file = path
            throw error
        }
    }
}

/// How a text encoder's token states become one vector per text.
public enum TextPooling: String, Sendable, Codable, CaseIterable {
    /// The mean over the tokens the attention mask keeps (sentence-transformers' default).
    case mean
    /// The first token's state (`[CLS]`).
    case cls

    /// `hidden` `[batch, length, width]` pooled to `[batch, width]`.
    public func pool(_ hidden: Tensor, batch: TokenIDs) throws -> Tensor {
        let width = hidden.shape[hidden.shape.rank - 1]
        switch self {
        case .cls:
            return try hidden.sliced(axis: 1, range: 0..<1).reshaped(to: [batch.batchSize, width])
        case .mean:
            let mask = try Tensor(shape: [batch.batchSize, batch.length, 1], scalars: batch.attentionMask.map(Float.init))
            let counts = (0..<batch.batchSize).map { row in
                Swift.max(1e-9, Float(batch.attentionMask[(row * batch.length)..<((row + 1) * batch.length)].reduce(0, +)))
            }
            let summed = try (hidden * mask).sum(axes: [1])
            return try summed / Tensor(shape: [batch.batchSize, 1], scalars: counts)
        }
    }
}
