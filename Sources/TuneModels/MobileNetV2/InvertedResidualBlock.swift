import TuneCore
import TuneNN

/// A MobileNetV2 block: `[1×1 expand → BN → ReLU6] → 3×3 depthwise → BN → ReLU6 → 1×1 project → BN [+ input]`, with
/// no convolution biases. Keras pads a stride-2 depthwise convolution as TF "SAME" (one pixel after an even input),
/// torchvision one pixel on every side. Children: `expand`, `expand_bn` (absent in block 0), `depthwise`,
/// `depthwise_bn`, `project`, `project_bn`.
public final class InvertedResidualBlock: Layer {
    let settings: InvertedResidualSettings
    let expand: Conv2D?
    let expandNorm: BatchNorm?
    let depthwise: DepthwiseConv2D
    let depthwiseNorm: BatchNorm
    let project: Conv2D
    let projectNorm: BatchNorm

    init(_ settings: InvertedResidualSettings, flavour: ArchitectureFlavour, generator: WeightGenerator) {
        self.settings = settings
        let norm = { (channels: Int) in MobileNetV2.batchNorm(channels, flavour: flavour) }
        if settings.hasExpansion {
            expand = Conv2D(settings.expandedChannels, kernelSize: (1, 1), inChannels: settings.inChannels, useBias: false,
                            kernelInitializer: .heNormal, generator: generator)
            expandNorm = norm(settings.expandedChannels)
        } else {
            (expand, expandNorm) = (nil, nil)
        }
        depthwise = DepthwiseConv2D(kernelSize: (3, 3), inChannels: settings.expandedChannels,
                                    stride: (settings.stride, settings.stride),
                                    padding: flavour == .keras ? .same : .symmetric(1), useBias: false,
                                    kernelInitializer: .heNormal, generator: generator)
        depthwiseNorm = norm(settings.expandedChannels)
        project = Conv2D(settings.outChannels, kernelSize: (1, 1), inChannels: settings.expandedChannels, useBias: false,
                         kernelInitializer: .heNormal, generator: generator)
        projectNorm = norm(settings.outChannels)
        super.init(kind: "InvertedResidualBlock")
        if let expand, let expandNorm {
            registerChild("expand", expand)
            registerChild("expand_bn", expandNorm)
        }
        registerChild("depthwise", depthwise)
        registerChild("depthwise_bn", depthwiseNorm)
        registerChild("project", project)
        registerChild("project_bn", projectNorm)
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        var x = input
        if let expand, let expandNorm { x = try expand(x, normalizedBy: expandNorm, activation: .relu6, context: context) }
        x = try depthwise(x, normalizedBy: depthwiseNorm, activation: .relu6, context: context)
        x = try project(x, normalizedBy: projectNorm, activation: nil, context: context)
        return settings.hasResidual ? try x + input : x
    }
}
