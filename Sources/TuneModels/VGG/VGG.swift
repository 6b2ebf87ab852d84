import TuneCore
import TuneData
import TuneNN

/// VGG (VGG16), built from ``VGGConfiguration``'s block table as `keras.applications` or torchvision builds it.
///
/// `block1` … `block5` (``VGGBlock``: 3×3 convolutions with bias and ReLU, then a 2×2 max pool), then with the top:
/// - **Keras**: flatten (the 7×7×512 map of a 224² input), `fc1` (4096, ReLU), `fc2` (4096, ReLU), `predictions`;
/// - **torchvision**: adaptive average pool to 7×7 (so any input size works), flatten, `fc1` (ReLU, dropout 0.5),
///   `fc2` (ReLU, dropout 0.5), `predictions`.
///
/// The model returns logits (Keras's `classifier_activation=None`). Without the top it ends at the last pool's
/// `[N, 512, ⌊H/32⌋, ⌊W/32⌋]` map. Parameter paths are `block<b>.conv<i>.weight` / `.bias`, `fc1.weight`, …;
/// ``checkpointKeyMap`` reads each flavour's own files.
public final class VGG: Layer {
    /// The family member.
    public let configuration: VGGConfiguration
    /// Whose build it follows.
    public let flavour: ArchitectureFlavour
    /// Whether the classifier is present.
    public let includeTop: Bool
    /// Classifier outputs (meaningful when ``includeTop``).
    public let classCount: Int
    /// The five blocks.
    public let vggBlocks: [VGGBlock]
    /// torchvision's adaptive pool before the classifier.
    let topPool: AdaptiveAveragePool2D?
    /// The top's layers, when ``includeTop``.
    public let fc1: Dense?
    public let fc2: Dense?
    public let predictions: Dense?
    /// torchvision's dropouts after `fc1` and `fc2`.
    let topDropouts: [Dropout]

    /// Builds the network with fresh weights (Glorot-uniform, as Keras initializes it) drawn from `generator`.
    public init(configuration: VGGConfiguration = .vgg16, flavour: ArchitectureFlavour = .keras, includeTop: Bool = true,
                classCount: Int = 1000, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.configuration = configuration
        self.flavour = flavour
        self.includeTop = includeTop
        self.classCount = classCount
        var channels = 3
        vggBlocks = zip(VGGConfiguration.blockWidths, configuration.convolutionsPerBlock).map { width, count in
            defer { channels = width }
            return VGGBlock(inChannels: channels, width: width, convolutionCount: count, generator: generator)
        }
        let side = VGGConfiguration.topFeatureSide
        let flattened = configuration.featureChannels * side * side
        if includeTop {
            fc1 = Dense(VGGConfiguration.hiddenUnits, inFeatures: flattened, activation: .relu, generator: generator)
            fc2 = Dense(VGGConfiguration.hiddenUnits, inFeatures: VGGConfiguration.hiddenUnits, activation: .relu,
                        generator: generator)
            predictions = Dense(classCount, inFeatures: VGGConfiguration.hiddenUnits, generator: generator)
        } else {
            (fc1, fc2, predictions) = (nil, nil, nil)
        }
        let torchvisionTop = includeTop && flavour == .torchvision
        topPool = torchvisionTop ? AdaptiveAveragePool2D(outputSize: (side, side)) : nil
        topDropouts = torchvisionTop ? [Dropout(rate: 0.5), Dropout(rate: 0.5)] : []
        super.init(kind: "VGG")
        for (index, block) in vggBlocks.enumerated() { registerChild("block\(index + 1)", block) }
        if let fc1, let fc2, let predictions {
            registerChild("fc1", fc1)
            registerChild("fc2", fc2)
            registerChild("predictions", predictions)
        }
        markBuilt()
    }


    /// Logits `[N, classCount]` with the top, else the feature map.
    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        var x = try featureMap(input, context: context)
        guard let fc1, let fc2, let predictions else { return x }
        if let topPool { x = try topPool(x, context: context) }
        let side = VGGConfiguration.topFeatureSide
        guard x.shape[2] == side, x.shape[3] == side else {
            throw LayerError.shapeMismatch(layer: "\(kind) top (Keras flattens a 7×7 map: input 224×224)",
                                           expected: "[N, \(configuration.featureChannels), \(side), \(side)]", got: x.shape)
        }
        x = try fc1(x.flattened(), context: context)
        if let dropout = topDropouts.first { x = try dropout(x, context: context) }
        x = try fc2(x, context: context)
        if let dropout = topDropouts.last { x = try dropout(x, context: context) }
        return try predictions(x, context: context)
    }
}
