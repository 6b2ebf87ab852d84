import TuneCore
import TuneNN

/// The EfficientNet-Lite inverted bottleneck (MBConv without squeeze-excite):
/// `[1×1 expand → BN → ReLU6] → k×k depthwise → BN → ReLU6 → 1×1 project → BN (no activation) [+ input]`.
///
/// Children carry the lukemelas / EfficientNet-PyTorch names so checkpoints load one to one: `_expand_conv`,
/// `_bn0` (both absent when the expansion ratio is 1), `_depthwise_conv`, `_bn1`, `_project_conv`, `_bn2`.
/// Every convolution uses TF "SAME" padding and no bias; BatchNorm uses ε = 1e-3 and PyTorch momentum 0.01.
/// The residual is added when the stride is 1 and input and output widths agree. Drop-connect is not applied.
final class MBConvBlock: Layer {
    /// The block's settings.
    let configuration: MBConvBlockConfiguration
    /// The 1×1 expand convolution, when the expansion ratio is not 1.
    let expandConv: Conv2D?
    /// BatchNorm after the expand convolution.
    let expandNorm: BatchNorm?
    /// The k×k depthwise convolution, weight `[C, 1, k, k]`.
    let depthwiseConv: DepthwiseConv2D
    /// BatchNorm after the depthwise convolution.
    let depthwiseNorm: BatchNorm
    /// The 1×1 projection.
    let projectConv: Conv2D
    /// BatchNorm after the projection (no activation follows).
    let projectNorm: BatchNorm

    /// Builds every parameter now (no lazy shapes), so a checkpoint can be loaded before the first forward pass;
    /// fresh weights are drawn from `generator`.
    init(_ configuration: MBConvBlockConfiguration, batchNormEpsilon: Float = EfficientNetLite.batchNormEpsilon,
         batchNormMomentum: Float = EfficientNetLite.batchNormMomentum,
                generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.configuration = configuration
        let expanded = configuration.expandedChannels
        func norm(_ channels: Int) -> BatchNorm {
            BatchNorm(channels: channels, epsilon: batchNormEpsilon, momentum: batchNormMomentum)
        }
        if configuration.hasExpansion {
            expandConv = Conv2D(expanded, kernelSize: 1, inChannels: configuration.inChannels, padding: .same,
                                useBias: false, kernelInitializer: .heNormal, generator: generator)
            expandNorm = norm(expanded)
        } else {
            expandConv = nil
            expandNorm = nil
        }
        depthwiseConv = DepthwiseConv2D(kernelSize: configuration.kernelSize, inChannels: expanded,
                                        stride: configuration.stride, padding: .same, useBias: false,
                                        kernelInitializer: .heNormal, generator: generator)
        depthwiseNorm = norm(expanded)
        projectConv = Conv2D(configuration.outChannels, kernelSize: 1, inChannels: expanded, padding: .same,
                             useBias: false, kernelInitializer: .heNormal, generator: generator)
        projectNorm = norm(configuration.outChannels)
        super.init(kind: "MBConvBlock")
        if let expandConv, let expandNorm {
            registerChild("_expand_conv", expandConv)
            registerChild("_bn0", expandNorm)
        }
        registerChild("_depthwise_conv", depthwiseConv)
        registerChild("_bn1", depthwiseNorm)
        registerChild("_project_conv", projectConv)
        registerChild("_bn2", projectNorm)
        markBuilt()
    }

    /// Whether the block adds its input to its output.
    var hasResidual: Bool { configuration.hasResidual }

    override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        var x = input
        if let expandConv, let expandNorm {
            x = try expandConv(x, normalizedBy: expandNorm, activation: .relu6, context: context)
        }
        x = try depthwiseConv(x, normalizedBy: depthwiseNorm, activation: .relu6, context: context)
        x = try projectConv(x, normalizedBy: projectNorm, activation: nil, context: context)
        return hasResidual ? try x + input : x
    }
}
