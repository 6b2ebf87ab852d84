import TuneCore
import TuneNN

/// One transformer layer of BERT (post-LayerNorm): self-attention, dropout, residual and LayerNorm; then the
/// feed-forward network (dense, GELU, dense), dropout, residual and LayerNorm.
///
/// Dropout (on the attention probabilities and after each sub-layer) runs in training only while the layer has
/// trainable weights: a frozen layer runs as in inference, as the Keras guide calls its frozen base with
/// `training=False`, so a frozen prefix is deterministic and its outputs can be cached.
public final class BertLayer: Layer {
    /// Multi-head self-attention with its output projection.
    public let attention: MultiHeadSelfAttention
    /// The LayerNorm after the attention's residual.
    public let attentionNorm: LayerNorm
    /// The feed-forward expansion (a ``Dense`` with GELU, or what ``replace(_:with:)`` put in its place).
    public private(set) var intermediate: Layer
    /// The feed-forward projection back to the hidden width (a ``Dense``, or what ``replace(_:with:)`` put there).
    public private(set) var output: Layer
    /// The LayerNorm after the feed-forward residual.
    public let outputNorm: LayerNorm
    private let dropoutRate: Float

    public init(configuration: BertConfiguration, generator: WeightGenerator) {
        let width = configuration.hiddenSize
        attention = MultiHeadSelfAttention(width: width, heads: configuration.headCount,
                                           dropout: configuration.attentionDropout, generator: generator)
        attentionNorm = LayerNorm(dimension: width, epsilon: configuration.layerNormEpsilon)
        intermediate = Dense(configuration.intermediateSize, inFeatures: width, activation: .gelu, generator: generator)
        output = Dense(width, inFeatures: configuration.intermediateSize, generator: generator)
        outputNorm = LayerNorm(dimension: width, epsilon: configuration.layerNormEpsilon)
        dropoutRate = configuration.hiddenDropout
        super.init(kind: "BertLayer")
        registerChild("attention", attention)
        registerChild("attentionNorm", attentionNorm)
        registerChild("intermediate", intermediate)
        registerChild("output", output)
        registerChild("outputNorm", outputNorm)
        markBuilt()
    }

    /// The layer in `projection`'s place: a ``Dense``, or the ``LoRADense`` that ``BertEncoder/applyLoRA(_:generator:)``
    /// put there.
    public func layer(_ projection: BertProjection) -> Layer {
        switch projection {
        case .query: return attention.query
        case .key: return attention.key
        case .value: return attention.value
        case .attentionOutput: return attention.output
        case .intermediate: return intermediate
        case .output: return output
        }
    }

    /// Puts `layer` in `projection`'s place under the same child name, so parameter paths stay as they were when it
    /// keeps the tensors (a ``LoRADense`` wrapping the projection). It must map the same features in and out.
    public func replace(_ projection: BertProjection, with layer: Layer) {
        switch projection {
        case .query: attention.replace(.query, with: layer)
        case .key: attention.replace(.key, with: layer)
        case .value: attention.replace(.value, with: layer)
        case .attentionOutput: attention.replace(.output, with: layer)
        case .intermediate:
            intermediate = layer
            registerChild("intermediate", layer)
        case .output:
            output = layer
            registerChild("output", layer)
        }
    }

    /// The layer applied to `hidden` `[batch, length, width]`, attending only where `mask` (additive, `[batch, 1, 1,
    /// length]`) is 0.
    public func callAsFunction(_ hidden: Tensor, mask: Tensor, context: ForwardContext) throws -> Tensor {
        let active = context.isTraining && !trainableParameters().isEmpty ? context : ForwardContext.inference
        let attended = try attention(hidden, mask: mask, context: active).droppedOut(rate: dropoutRate, by: self, context: active)
        let afterAttention = try attentionNorm(try hidden + attended, context: active)
        let expanded = try intermediate(afterAttention, context: active)
        let projected = try output(expanded, context: active).droppedOut(rate: dropoutRate, by: self, context: active)
        return try outputNorm(try afterAttention + projected, context: active)
    }
}
