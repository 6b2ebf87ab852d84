import TuneCore
import TuneData
import TuneNN

/// A pretrained text encoder plus a new classification head: what text fine-tuning trains and a run folder saves.
///
/// Its input is a ``TokenIDs/packed()`` batch `[batch, 3, length]`; it pools the encoder's token states (mean over the
/// mask, or `[CLS]`), applies dropout and one dense layer, and returns logits (one for two classes, else one per
/// class). Parameter paths are `encoder.<path>` and `head.<index>.<name>`.
public final class TextClassifier: Layer {
    public let encoder: BertEncoder
    /// Dropout and the dense layer.
    public let head: Sequential
    public let pooling: TextPooling
    /// The class names, in label order.
    public let classNames: [String]
    /// Two stages: the encoder with its pooling (what phase 1 caches), then the head.
    public private(set) var stages: [ModelStage] = []

    /// A new head for `classNames` on `encoder`.
    /// - Throws: ``LayerError/invalidConfiguration(layer:message:)`` for fewer than two classes.
    public init(encoder: BertEncoder, classNames: [String], pooling: TextPooling, dropout: Float,
                generator: WeightGenerator = WeightGenerator(seed: 0)) throws {
        guard classNames.count >= 2 else {
            throw LayerError.invalidConfiguration(layer: "TextClassifier", message: "need at least two classes, got \(classNames.count)")
        }
        self.encoder = encoder
        self.pooling = pooling
        self.classNames = classNames
        let width = encoder.configuration.hiddenSize
        head = Sequential([Dropout(rate: dropout),
                           Dense(classNames.count == 2 ? 1 : classNames.count, inFeatures: width, generator: generator)])
        super.init(kind: "TextClassifier")
        registerChild("encoder", encoder)
        registerChild("head", head)
        markBuilt()
        let encoderStage = ModelStage(name: "encoder", layers: [encoder]) { [encoder, pooling] packed, context in
            let tokens = try TokenIDs(packed: packed)
            return try pooling.pool(try encoder.hiddenStates(tokens, context: context), batch: tokens)
        }
        stages = [encoderStage] + head.layers.enumerated().map { ModelStage(name: "head.\($0.offset)", layer: $0.element) }
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try stages.run(input, range: 0..<stages.count, context: context)
    }

    /// Whether the model has one sigmoid output for two classes rather than a softmax.
    public var isBinary: Bool { classNames.count == 2 }

    /// Per-class probabilities for each row of `logits`: softmax, or `[1 − p, p]` with `p = sigmoid(logit)`.
    public func probabilities(_ logits: Tensor) throws -> [[Float]] {
        try classProbabilities(logits, classCount: classNames.count)
    }
}
