import TuneCore
import TuneData
import TuneNN

/// InceptionV3, as `keras.applications.InceptionV3` or torchvision's `inception_v3` builds it (``InceptionV3Layout``).
///
/// Stem: five ``InceptionConvolution``s (`Conv2d_1a_3x3` … `Conv2d_4a_3x3`, torchvision's names) with 3×3 max pools of
/// stride 2 after the third and the fifth; then the eleven ``InceptionBlock``s `mixed0` … `mixed10` (torchvision's
/// `Mixed_5b` … `Mixed_7c`); with the top: global average pool (torchvision then dropout 0.5) and `predictions`
/// (logits). Without the top the model ends at the `[N, 2048, h, w]` map (8×8 for a 299² input).
///
/// The flavours differ in BatchNorm (Keras has no γ), the 3×3 average pools (Keras leaves the padding out of the
/// average, torchvision counts it) and the input: with ``transformsInput`` the model first re-maps input normalized
/// with ImageNet's mean and deviation to `(x − 0.5) / 0.5` per channel, as torchvision's `transform_input=True`
/// does — what `inception_v3(weights=…)` sets, since its weights were ported from TensorFlow and expect −1…1 input.
/// torchvision's training-only `AuxLogits` branch is not built (its keys in a state dict are left out).
public final class InceptionV3: Layer {
    /// Whose build it follows.
    public let flavour: ArchitectureFlavour
    /// Whether the classifier is present.
    public let includeTop: Bool
    /// Classifier outputs (meaningful when ``includeTop``).
    public let classCount: Int
    /// Whether the input is re-mapped from ImageNet normalization to `(x − 0.5) / 0.5` first (torchvision's
    /// `transform_input`).
    public let transformsInput: Bool
    let stem: [InceptionConvolution]
    let stemPools: [MaxPool2D]
    /// `mixed0` … `mixed10`.
    public let inceptionBlocks: [InceptionBlock]
    let dropout: Dropout?
    /// The classifier, when ``includeTop``.
    public let predictions: Dense?

    /// The smallest input side (Keras's `min_size`): below it the last reduction leaves no pixel.
    public static let minimumInputSide = 75

    /// Builds the network with fresh weights (He-normal convolutions) drawn from `generator`.
    /// - Parameter transformInput: torchvision's `transform_input`; by default on for the torchvision flavour (as
    ///   torchvision loads its pretrained weights) and off for Keras's. Pass `false` for torchvision's
    ///   `inception_v3(weights=None)`.
    public init(flavour: ArchitectureFlavour = .keras, includeTop: Bool = true, classCount: Int = 1000,
                transformInput: Bool? = nil, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.flavour = flavour
        self.includeTop = includeTop
        self.classCount = classCount
        transformsInput = transformInput ?? (flavour == .torchvision)
        var channels = 3
        stem = InceptionV3Layout.stem.map { settings in
            defer { channels = settings.filters }
            return InceptionConvolution(settings, inChannels: channels, flavour: flavour, generator: generator)
        }
        stemPools = [MaxPool2D(poolSize: 3, stride: 2), MaxPool2D(poolSize: 3, stride: 2)]
        inceptionBlocks = InceptionV3Layout.blocks.map { InceptionBlock($0, flavour: flavour, generator: generator) }
        predictions = includeTop ? Dense(classCount, inFeatures: InceptionV3Layout.featureChannels, generator: generator) : nil
        dropout = includeTop && flavour == .torchvision ? Dropout(rate: 0.5) : nil
        super.init(kind: "InceptionV3")
        for convolution in stem { registerChild(convolution.settings.name, convolution) }
        for block in inceptionBlocks { registerChild(block.settings.kerasName, block) }
        if let predictions { registerChild("predictions", predictions) }
        markBuilt()
    }

    /// Logits `[N, classCount]` with the top, else the feature map.
    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try mapOrPooledLogits(input, dropout: dropout, predictions: predictions, context: context)
    }

    /// The stem on `input`: the input transform (when on), checks of the size, the convolutions and pools.
    func runStem(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard input.shape.rank == 4, input.shape[2] >= Self.minimumInputSide, input.shape[3] >= Self.minimumInputSide else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[N, 3, H, W] with H and W at least \(Self.minimumInputSide) "
                                           + "(InceptionV3's smallest input)", got: input.shape)
        }
        var x = transformsInput ? try Self.transformInput(input) : input
        for (index, convolution) in stem.enumerated() {
            x = try convolution(x, context: context)
            if index == 2 { x = try stemPools[0](x, context: context) }
        }
        return try stemPools[1](x, context: context)
    }

    /// torchvision's `_transform_input`: channel `c` becomes `x · (std_c / 0.5) + (mean_c − 0.5) / 0.5`, with ImageNet's
    /// mean (0.485, 0.456, 0.406) and deviation (0.229, 0.224, 0.225).
    static func transformInput(_ input: Tensor) throws -> Tensor {
        let mean = [0.485, 0.456, 0.406], deviation = [0.229, 0.224, 0.225]
        let scale = try Tensor(shape: [1, 3, 1, 1], scalars: deviation.map { Float($0 / 0.5) })
        let shift = try Tensor(shape: [1, 3, 1, 1], scalars: mean.map { Float(($0 - 0.5) / 0.5) })
        return try input * scale + shift
    }

    /// The side of the feature map for an input side `side` (0 when the input is too small).
    static func featureSide(_ side: Int) -> Int {
        func pooled(_ n: Int) -> Int { n >= 3 ? (n - 3) / 2 + 1 : 0 }
        var n = pooled(side) - 2                 // Conv2d_1a_3x3 (stride 2), Conv2d_2a_3x3
        n = pooled(n) - 2                        // max pool, Conv2d_4a_3x3 (Conv2d_2b, 3b keep the size)
        return max(pooled(pooled(pooled(n))), 0) // max pool, mixed3, mixed8
    }
}
