import TuneCore
import TuneNN

extension EfficientNetLite: ImageBackbone {
    /// The head convolution and its BatchNorm, which unfreeze with the last blocks.
    public var layersAfterBlocks: [Layer] { [headConv, headNorm] }

    /// `stem` (conv, BN, ReLU6), `block 0` … `block N`, `head conv` (1×1 conv, BN, ReLU6): what
    /// ``featureMap(_:context:)`` runs.
    public var featureStages: [ModelStage] {
        let (stemConv, stemNorm, headConv, headNorm) = (stemConv, stemNorm, headConv, headNorm)
        let stem = ModelStage(name: "stem", layers: [stemConv, stemNorm]) { input, context in
            try stemConv(input, normalizedBy: stemNorm, activation: .relu6, context: context)
        }
        let blocks = mbConvBlocks.enumerated().map { ModelStage(name: "block \($0.offset)", layer: $0.element) }
        let head = ModelStage(name: "head conv", layers: [headConv, headNorm]) { input, context in
            try headConv(input, normalizedBy: headNorm, activation: .relu6, context: context)
        }
        return [stem] + blocks + [head]
    }

    /// The lukemelas / EfficientNet-PyTorch keys are the model's own paths; without the top, the checkpoint's
    /// classifier (`_fc.*`) is left out.
    public var checkpointKeyMap: CheckpointKeyMap {
        includeTop ? .identity : .dropping(prefixes: ["_fc."])
    }

    /// Five stride-2 "SAME" steps: 32² is the smallest input that keeps a 1×1 feature map.
    public var minimumInputSize: Int { 32 }

    /// `[1280, ⌈height / 32⌉, ⌈width / 32⌉]`.
    public func featureShape(height: Int, width: Int) -> [Int] {
        [featureChannels, (height + 31) / 32, (width + 31) / 32]
    }
}
