import TuneCore
import TuneData
import TuneNN

/// EfficientNet-Lite0…4 (Tan & Le; TF `efficientnet_lite_builder`), built from ``EfficientNetLiteVariant``'s
/// block table, with the lukemelas / EfficientNet-PyTorch parameter names so a PyTorch state dict loads one to one:
///
/// `_conv_stem` (3×3 stride 2, 3 → 32) · `_bn0` · ReLU6 · `_blocks.0` … `_blocks.N` (``MBConvBlock``) ·
/// `_conv_head` (1×1, → 1280) · `_bn1` · ReLU6 · global average pool · dropout · `_fc` (1280 → classes).
///
/// Every convolution uses TF "SAME" padding computed from the actual input size (so any input side works; the
/// output stride is 32) and has no bias. BatchNorm uses ε = 1e-3 and PyTorch momentum 0.01. With
/// `includeTop: false` the model ends at the head's `[N, 1280, ⌈H/32⌉, ⌈W/32⌉]` feature map (no pooling, no
/// `_fc`). Every parameter is created in `init`, so ``Layer/load(_:strict:ignoring:)`` works before any forward pass.
///
/// Inputs are NCHW RGB normalized with ``preprocessing`` (`(x − 127) / 128`).
public final class EfficientNetLite: Layer {
    /// BatchNorm ε for the whole family (TF `batch_norm_epsilon`).
    static let batchNormEpsilon: Float = 1e-3
    /// BatchNorm momentum in PyTorch's convention (`running = 0.99 · running + 0.01 · batch`; TF decay 0.99).
    static let batchNormMomentum: Float = 0.01

    /// The family member.
    public let variant: EfficientNetLiteVariant
    /// Whether the classifier (pool, dropout, `_fc`) is present.
    public let includeTop: Bool
    /// Classifier outputs (meaningful when ``includeTop``).
    public let classCount: Int
    /// The block settings, one per entry of ``blocks``.
    let blockConfigurations: [MBConvBlockConfiguration]

    /// The stem convolution `_conv_stem`, weight `[32, 3, 3, 3]`.
    public let stemConv: Conv2D
    /// The stem BatchNorm `_bn0`.
    public let stemNorm: BatchNorm
    /// The MBConv blocks `_blocks.0…`, in order (as ``MBConvBlock``).
    let mbConvBlocks: [MBConvBlock]
    /// The head convolution `_conv_head`, weight `[1280, C, 1, 1]`.
    public let headConv: Conv2D
    /// The head BatchNorm `_bn1`.
    public let headNorm: BatchNorm
    /// Dropout before the classifier, when ``includeTop``.
    public let dropout: Dropout?
    /// The classifier `_fc`, weight `[classCount, 1280]`, when ``includeTop``.
    public let classifier: Dense?

    /// The blocks in order, for fine-tuning: `model.blocks.suffix(4).forEach { $0.isTrainable = true }`.
    public var blocks: [Layer] { mbConvBlocks }

    /// Builds the variant with fresh weights (He-normal convolutions, Glorot-uniform classifier, BN at identity)
    /// drawn from `generator`, which every layer shares.
    public init(variant: EfficientNetLiteVariant = .lite0, includeTop: Bool = true, classCount: Int = 1000,
                generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.variant = variant
        self.includeTop = includeTop
        self.classCount = classCount
        blockConfigurations = variant.blockConfigurations
        func norm(_ channels: Int) -> BatchNorm {
            BatchNorm(channels: channels, epsilon: Self.batchNormEpsilon, momentum: Self.batchNormMomentum)
        }
        stemConv = Conv2D(variant.stemChannels, kernelSize: 3, inChannels: 3, stride: 2, padding: .same,
                          useBias: false, kernelInitializer: .heNormal, generator: generator)
        stemNorm = norm(variant.stemChannels)
        mbConvBlocks = blockConfigurations.map { MBConvBlock($0, generator: generator) }
        let lastChannels = blockConfigurations.last?.outChannels ?? variant.stemChannels
        headConv = Conv2D(variant.headChannels, kernelSize: 1, inChannels: lastChannels, padding: .same,
                          useBias: false, kernelInitializer: .heNormal, generator: generator)
        headNorm = norm(variant.headChannels)
        if includeTop {
            dropout = Dropout(rate: variant.dropoutRate)
            classifier = Dense(classCount, inFeatures: variant.headChannels, generator: generator)
        } else {
            dropout = nil
            classifier = nil
        }
        super.init(kind: "EfficientNetLite")
        registerChild("_conv_stem", stemConv)
        registerChild("_bn0", stemNorm)
        registerChild("_blocks", Sequential(mbConvBlocks))
        registerChild("_conv_head", headConv)
        registerChild("_bn1", headNorm)
        if let dropout, let classifier {
            registerChild("_dropout", dropout)
            registerChild("_fc", classifier)
        }
        markBuilt()
    }

    /// The input normalization the pretrained weights expect: `(x − 127) / 128`.
    public var preprocessing: Normalization { .symmetric127 }

    /// The input side the variant was trained at (224 for Lite0).
    public var inputSize: Int { variant.inputSize }

    /// Channels of the feature map and of the pooled features (1280).
    public var featureChannels: Int { variant.headChannels }

    /// Indices of the blocks that add their input to their output.
    var residualBlockIndices: [Int] { blockConfigurations.filter(\.hasResidual).map(\.index) }


    /// The globally average-pooled feature map: `[N, 1280]`, what the classifier reads.
    public func features(_ input: Tensor, context: ForwardContext = .inference) throws -> Tensor {
        try featureMap(input, context: context).globalAveragePool2d()
    }

    /// Logits `[N, classCount]` with the top, else the feature map `[N, 1280, h, w]`.
    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard let dropout, let classifier else { return try featureMap(input, context: context) }
        let pooled = try features(input, context: context)
        return try classifier(dropout(pooled, context: context), context: context)
    }
}
