import TuneCore
import TuneData
import TuneNN

/// A pretrained base (without its top) plus a new ``ClassifierHead``: what fine-tuning trains and a run folder saves.
///
/// Parameter paths are `base.<checkpoint key>` and `head.<index>.<name>`. The forward pass returns logits; use
/// ``probabilities(_:)`` for per-class probabilities (softmax, or sigmoid for the single logit of two classes).
public final class FineTunedClassifier: Layer {
    /// The pretrained feature extractor.
    public let base: any ImageBackbone
    /// The new head.
    public let head: Sequential
    /// Which head was built.
    public let headKind: ClassifierHead
    /// The class names, in label order.
    public let classNames: [String]
    /// The square input side.
    public let imageSize: Int
    /// The base's stages followed by one stage per head layer.
    public let stages: [ModelStage]

    /// Puts a new `headKind` head for `classNames` on `base` (which must be built without its top).
    public init(base: any ImageBackbone, headKind: ClassifierHead, classNames: [String], imageSize: Int,
                dropout: Float) throws {
        guard !base.includeTop else {
            throw LayerError.invalidConfiguration(layer: "FineTunedClassifier", message: "the base must be built with includeTop: false")
        }
        guard classNames.count >= 2 else {
            throw LayerError.invalidConfiguration(layer: "FineTunedClassifier",
                                                  message: "need at least two classes, got \(classNames.count)")
        }
        guard imageSize >= base.minimumInputSize else {
            throw LayerError.invalidConfiguration(layer: "FineTunedClassifier",
                                                  message: "image size \(imageSize) is below the base's minimum \(base.minimumInputSize)")
        }
        self.base = base
        self.headKind = headKind
        self.classNames = classNames
        self.imageSize = imageSize
        head = headKind.make(featureShape: base.featureShape(height: imageSize, width: imageSize),
                             classCount: classNames.count, dropout: dropout)
        stages = base.featureStages + head.layers.enumerated().map { ModelStage(name: "head.\($0.offset)", layer: $0.element) }
        super.init(kind: "FineTunedClassifier")
        registerChild("base", base)
        registerChild("head", head)
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try stages.run(input, range: 0..<stages.count, context: context)
    }

    /// Whether the model has one sigmoid output for two classes (binary labels) rather than a softmax.
    public var isBinary: Bool { classNames.count == 2 }

    /// Per-class probabilities for each row of `logits`: softmax, or `[1 − p, p]` with `p = sigmoid(logit)`.
    public func probabilities(_ logits: Tensor) throws -> [[Float]] {
        try classProbabilities(logits, classCount: classNames.count)
    }
}
