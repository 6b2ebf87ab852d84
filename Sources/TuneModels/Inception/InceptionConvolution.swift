import TuneCore
import TuneNN

/// Inception's convolution unit: a convolution without bias, BatchNorm of ε 0.001, ReLU — Keras's `conv2d_bn`
/// (BatchNorm without γ, `scale=False`, momentum 0.99) or torchvision's `BasicConv2d` (BatchNorm with γ, momentum 0.1).
/// "Same" convolutions (all of stride 1 and odd kernels) pad `(k − 1) / 2` on each side in both flavours.
/// Children: `conv`, `bn`.
public final class InceptionConvolution: Layer {
    let settings: InceptionConvolutionSettings
    let conv: Conv2D
    let norm: BatchNorm

    init(_ settings: InceptionConvolutionSettings, inChannels: Int, flavour: ArchitectureFlavour, generator: WeightGenerator) {
        self.settings = settings
        let (height, width) = settings.kernel
        let padding: Padding = settings.isValid ? .valid
            : .explicit(top: (height - 1) / 2, bottom: (height - 1) / 2, left: (width - 1) / 2, right: (width - 1) / 2)
        conv = Conv2D(settings.filters, kernelSize: settings.kernel, inChannels: inChannels,
                      stride: (settings.stride, settings.stride), padding: padding, useBias: false,
                      kernelInitializer: .heNormal, generator: generator)
        norm = flavour == .keras ? BatchNorm(channels: settings.filters, epsilon: 1e-3, momentum: 0.01, scale: false)
                                 : BatchNorm(channels: settings.filters, epsilon: 1e-3, momentum: 0.1)
        super.init(kind: "InceptionConvolution")
        registerChild("conv", conv)
        registerChild("bn", norm)
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try conv(input, normalizedBy: norm, activation: .relu, context: context)
    }
}
