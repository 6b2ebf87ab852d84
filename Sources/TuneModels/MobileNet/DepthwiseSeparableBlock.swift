import TuneCore
import TuneNN

/// A MobileNet block: `3×3 depthwise → BN → ReLU6 → 1×1 pointwise → BN → ReLU6`, no convolution biases. A stride-2
/// block pads one pixel after the input, below and to the right, whatever its size (Keras's `conv_pad_<id>`).
/// Children: `depthwise`, `depthwise_bn`, `pointwise`, `pointwise_bn` (Keras's `conv_dw_<id>`, `conv_pw_<id>`).
public final class DepthwiseSeparableBlock: Layer {
    let settings: DepthwiseSeparableSettings
    let depthwise: DepthwiseConv2D
    let depthwiseNorm: BatchNorm
    let pointwise: Conv2D
    let pointwiseNorm: BatchNorm

    init(_ settings: DepthwiseSeparableSettings, generator: WeightGenerator) {
        self.settings = settings
        let padding: Padding = settings.stride == 1 ? .symmetric(1) : .explicit(top: 0, bottom: 1, left: 0, right: 1)
        depthwise = DepthwiseConv2D(kernelSize: (3, 3), inChannels: settings.inChannels, stride: (settings.stride, settings.stride),
                                    padding: padding, useBias: false, kernelInitializer: .heNormal, generator: generator)
        depthwiseNorm = MobileNet.batchNorm(settings.inChannels)
        pointwise = Conv2D(settings.outChannels, kernelSize: (1, 1), inChannels: settings.inChannels, useBias: false,
                           kernelInitializer: .heNormal, generator: generator)
        pointwiseNorm = MobileNet.batchNorm(settings.outChannels)
        super.init(kind: "DepthwiseSeparableBlock")
        registerChild("depthwise", depthwise)
        registerChild("depthwise_bn", depthwiseNorm)
        registerChild("pointwise", pointwise)
        registerChild("pointwise_bn", pointwiseNorm)
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        let x = try depthwise(input, normalizedBy: depthwiseNorm, activation: .relu6, context: context)
        return try pointwise(x, normalizedBy: pointwiseNorm, activation: .relu6, context: context)
    }
}
