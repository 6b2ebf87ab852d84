import TuneCore
import TuneData
import TuneNN

/// MobileNet (v1), built from ``MobileNetConfiguration``'s block table as `keras.applications.MobileNet` builds it
/// (torchvision has no MobileNet v1).
///
/// `conv1` (3×3 convolution of stride 2, TF "SAME" padding), `conv1_bn`, ReLU6, the 13 ``DepthwiseSeparableBlock``s
/// (`block_1` … `block_13`); with the top: global average pool, dropout (rate 0.001) and `predictions`, the 1×1
/// convolution Keras calls `conv_preds`, as a dense layer (logits). BatchNorm ε 1e-3, momentum 0.99. Without the top
/// the model ends at the `[N, 1024·α, h, w]` map (h = ⌈H/32⌉ for inputs whose halvings stay even, as 224² and 160²).
public final class MobileNet: Layer {
    /// The family member.
    public let configuration: MobileNetConfiguration
    /// Whether the classifier is present.
    public let includeTop: Bool
    /// Classifier outputs (meaningful when ``includeTop``).
    public let classCount: Int
    let stem: Conv2D
    let stemNorm: BatchNorm
    /// The depthwise-separable blocks in order.
    public let separableBlocks: [DepthwiseSeparableBlock]
    let dropout: Dropout?
    /// The classifier, when ``includeTop``.
    public let predictions: Dense?

    /// BatchNorm as Keras builds it: ε 1e-3, momentum 0.99 (0.01 in PyTorch's convention).
    static func batchNorm(_ channels: Int) -> BatchNorm { BatchNorm(channels: channels, epsilon: 1e-3, momentum: 0.01) }

    /// Builds the network with fresh weights (He-normal convolutions) drawn from `generator`.
    public init(configuration: MobileNetConfiguration = MobileNetConfiguration(), includeTop: Bool = true,
                classCount: Int = 1000, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.configuration = configuration
        self.includeTop = includeTop
        self.classCount = classCount
        stem = Conv2D(configuration.stemChannels, kernelSize: (3, 3), inChannels: 3, stride: (2, 2), padding: .same,
                      useBias: false, kernelInitializer: .heNormal, generator: generator)
        stemNorm = Self.batchNorm(configuration.stemChannels)
        separableBlocks = configuration.blockSettings.map { DepthwiseSeparableBlock($0, generator: generator) }
        predictions = includeTop ? Dense(classCount, inFeatures: configuration.featureChannels, generator: generator) : nil
        dropout = includeTop ? Dropout(rate: 0.001) : nil
        super.init(kind: "MobileNet")
        registerChild("conv1", stem)
        registerChild("conv1_bn", stemNorm)
        for block in separableBlocks { registerChild("block_\(block.settings.id)", block) }
        if let predictions { registerChild("predictions", predictions) }
        markBuilt()
    }


    /// Logits `[N, classCount]` with the top, else the feature map.
    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try mapOrPooledLogits(input, dropout: dropout, predictions: predictions, context: context)
    }
}
