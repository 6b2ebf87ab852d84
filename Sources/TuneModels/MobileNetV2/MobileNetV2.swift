import TuneCore
import TuneData
import TuneNN

/// MobileNetV2, built from ``MobileNetV2Configuration``'s block table as `keras.applications` or torchvision builds it.
///
/// `stem` (3×3 convolution of stride 2, Keras's `Conv1`; padded as TF "SAME" in Keras, one pixel on every side in
/// torchvision), `stem_bn`, ReLU6, the 17 ``InvertedResidualBlock``s (`block_0` … `block_16`), `head` (1×1
/// convolution to 1280, Keras's `Conv_1`), `head_bn`, ReLU6; with the top: global average pool (torchvision then
/// dropout 0.2) and `predictions` (logits). BatchNorm ε is 1e-3 in Keras and 1e-5 in torchvision. Without the top the
/// model ends at the `[N, 1280, ⌈H/32⌉, ⌈W/32⌉]` map.
public final class MobileNetV2: Layer {
    /// The family member.
    public let configuration: MobileNetV2Configuration
    /// Whose build it follows.
    public let flavour: ArchitectureFlavour
    /// Whether the classifier is present.
    public let includeTop: Bool
    /// Classifier outputs (meaningful when ``includeTop``).
    public let classCount: Int
    let stem: Conv2D
    let stemNorm: BatchNorm
    /// The inverted-residual blocks in order.
    public let invertedResidualBlocks: [InvertedResidualBlock]
    let head: Conv2D
    let headNorm: BatchNorm
    let dropout: Dropout?
    /// The classifier, when ``includeTop``.
    public let predictions: Dense?

    /// BatchNorm as each flavour builds it: Keras ε 1e-3 and momentum 0.999 (0.001 in PyTorch's convention),
    /// torchvision ε 1e-5 and momentum 0.1.
    static func batchNorm(_ channels: Int, flavour: ArchitectureFlavour) -> BatchNorm {
        flavour == .keras ? BatchNorm(channels: channels, epsilon: 1e-3, momentum: 0.001)
                          : BatchNorm(channels: channels, epsilon: 1e-5, momentum: 0.1)
    }

    /// Builds the network with fresh weights (He-normal convolutions) drawn from `generator`.
    public init(configuration: MobileNetV2Configuration = MobileNetV2Configuration(), flavour: ArchitectureFlavour = .keras,
                includeTop: Bool = true, classCount: Int = 1000, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.configuration = configuration
        self.flavour = flavour
        self.includeTop = includeTop
        self.classCount = classCount
        let settings = configuration.blockSettings
        stem = Conv2D(configuration.stemChannels, kernelSize: (3, 3), inChannels: 3, stride: (2, 2),
                      padding: flavour == .keras ? .same : .symmetric(1), useBias: false, kernelInitializer: .heNormal,
                      generator: generator)
        stemNorm = Self.batchNorm(configuration.stemChannels, flavour: flavour)
        invertedResidualBlocks = settings.map { InvertedResidualBlock($0, flavour: flavour, generator: generator) }
        head = Conv2D(configuration.featureChannels, kernelSize: (1, 1), inChannels: settings.last?.outChannels ?? 0,
                      useBias: false, kernelInitializer: .heNormal, generator: generator)
        headNorm = Self.batchNorm(configuration.featureChannels, flavour: flavour)
        predictions = includeTop ? Dense(classCount, inFeatures: configuration.featureChannels, generator: generator) : nil
        dropout = includeTop && flavour == .torchvision ? Dropout(rate: 0.2) : nil
        super.init(kind: "MobileNetV2")
        registerChild("stem", stem)
        registerChild("stem_bn", stemNorm)
        for block in invertedResidualBlocks { registerChild("block_\(block.settings.index)", block) }
        registerChild("head", head)
        registerChild("head_bn", headNorm)
        if let predictions { registerChild("predictions", predictions) }
        markBuilt()
    }


    /// Logits `[N, classCount]` with the top, else the feature map.
    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try mapOrPooledLogits(input, dropout: dropout, predictions: predictions, context: context)
    }
}
