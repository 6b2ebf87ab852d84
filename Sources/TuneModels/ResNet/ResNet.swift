import TuneCore
import TuneData
import TuneNN

/// ResNet50, built from ``ResNetConfiguration``'s block table as `keras.applications` or torchvision builds it.
///
/// Stem: 7×7 convolution of stride 2 with 3 pixels of zero padding (`conv1`; Keras: `conv1_pad`, `conv1_conv` with a
/// bias), BatchNorm (`bn1`), ReLU, 3×3 max pool of stride 2 with 1 pixel of padding (Keras pads with zeros after the
/// ReLU, which gives the same maxima). Then the 16 ``Bottleneck`` blocks (`conv2_block1` … `conv5_block3`), and with
/// the top: global average pool and `predictions` (logits). BatchNorm ε is 1.001e-5 in Keras and 1e-5 in torchvision.
/// Without the top the model ends at the `[N, 2048, ⌈H/32⌉, ⌈W/32⌉]` map.
public final class ResNet: Layer {
    /// The family member.
    public let configuration: ResNetConfiguration
    /// Whose build it follows.
    public let flavour: ArchitectureFlavour
    /// Whether the classifier is present.
    public let includeTop: Bool
    /// Classifier outputs (meaningful when ``includeTop``).
    public let classCount: Int
    let stemConv: Conv2D
    let stemNorm: BatchNorm
    let stemPool: MaxPool2D
    /// The bottlenecks in order.
    public let bottlenecks: [Bottleneck]
    /// The classifier, when ``includeTop``.
    public let predictions: Dense?

    /// BatchNorm as each flavour builds it: Keras ε 1.001e-5 and momentum 0.99 (0.01 in PyTorch's convention),
    /// torchvision ε 1e-5 and momentum 0.1.
    static func batchNorm(_ channels: Int, flavour: ArchitectureFlavour) -> BatchNorm {
        flavour == .keras ? BatchNorm(channels: channels, epsilon: 1.001e-5, momentum: 0.01)
                          : BatchNorm(channels: channels, epsilon: 1e-5, momentum: 0.1)
    }

    /// Builds the network with fresh weights (He-normal convolutions) drawn from `generator`.
    public init(configuration: ResNetConfiguration = .resnet50, flavour: ArchitectureFlavour = .keras, includeTop: Bool = true,
                classCount: Int = 1000, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.configuration = configuration
        self.flavour = flavour
        self.includeTop = includeTop
        self.classCount = classCount
        stemConv = Conv2D(ResNetConfiguration.stemChannels, kernelSize: (7, 7), inChannels: 3, stride: (2, 2),
                          padding: .symmetric(3), useBias: flavour == .keras, kernelInitializer: .heNormal, generator: generator)
        stemNorm = Self.batchNorm(ResNetConfiguration.stemChannels, flavour: flavour)
        stemPool = MaxPool2D(poolSize: 3, stride: 2, padding: .symmetric(1))
        bottlenecks = configuration.blockSettings.map { Bottleneck($0, flavour: flavour, generator: generator) }
        predictions = includeTop ? Dense(classCount, inFeatures: configuration.featureChannels, generator: generator) : nil
        super.init(kind: "ResNet")
        registerChild("conv1", stemConv)
        registerChild("bn1", stemNorm)
        for block in bottlenecks { registerChild(block.settings.kerasName, block) }
        if let predictions { registerChild("predictions", predictions) }
        markBuilt()
    }


    /// Logits `[N, classCount]` with the top, else the feature map.
    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try mapOrPooledLogits(input, dropout: nil, predictions: predictions, context: context)
    }
}
