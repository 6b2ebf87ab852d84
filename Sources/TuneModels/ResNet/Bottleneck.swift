import TuneCore
import TuneNN

/// A ResNet bottleneck: `1×1 → BN → ReLU → 3×3 → BN → ReLU → 1×1 (4× wider) → BN`, plus the input (projected by a
/// 1×1 convolution and BN in a stage's first block), then ReLU.
///
/// Keras puts a stage's stride on the first 1×1 convolution and gives every convolution a bias; torchvision (ResNet
/// v1.5) puts it on the 3×3 and has no convolution biases. Children: `conv1`, `bn1`, `conv2`, `bn2`, `conv3`, `bn3`,
/// and `shortcut`, `shortcut_bn` when projecting.
public final class Bottleneck: Layer {
    let settings: BottleneckSettings
    let conv1: Conv2D
    let bn1: BatchNorm
    let conv2: Conv2D
    let bn2: BatchNorm
    let conv3: Conv2D
    let bn3: BatchNorm
    let shortcut: Conv2D?
    let shortcutNorm: BatchNorm?

    init(_ settings: BottleneckSettings, flavour: ArchitectureFlavour, generator: WeightGenerator) {
        self.settings = settings
        let keras = flavour == .keras
        let norm = { (channels: Int) in ResNet.batchNorm(channels, flavour: flavour) }
        let stride = (settings.stride, settings.stride)
        conv1 = Conv2D(settings.width, kernelSize: (1, 1), inChannels: settings.inChannels, stride: keras ? stride : (1, 1),
                       useBias: keras, kernelInitializer: .heNormal, generator: generator)
        bn1 = norm(settings.width)
        conv2 = Conv2D(settings.width, kernelSize: (3, 3), inChannels: settings.width, stride: keras ? (1, 1) : stride,
                       padding: .symmetric(1), useBias: keras, kernelInitializer: .heNormal, generator: generator)
        bn2 = norm(settings.width)
        conv3 = Conv2D(settings.outChannels, kernelSize: (1, 1), inChannels: settings.width, useBias: keras,
                       kernelInitializer: .heNormal, generator: generator)
        bn3 = norm(settings.outChannels)
        if settings.hasProjection {
            shortcut = Conv2D(settings.outChannels, kernelSize: (1, 1), inChannels: settings.inChannels, stride: stride,
                              useBias: keras, kernelInitializer: .heNormal, generator: generator)
            shortcutNorm = norm(settings.outChannels)
        } else {
            (shortcut, shortcutNorm) = (nil, nil)
        }
        super.init(kind: "Bottleneck")
        for (name, layer) in [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3)] as [(String, Layer)] {
            registerChild(name, layer)
        }
        if let shortcut, let shortcutNorm {
            registerChild("shortcut", shortcut)
            registerChild("shortcut_bn", shortcutNorm)
        }
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        var x = try conv1(input, normalizedBy: bn1, activation: .relu, context: context)
        x = try conv2(x, normalizedBy: bn2, activation: .relu, context: context)
        x = try conv3(x, normalizedBy: bn3, activation: nil, context: context)
        var identity = input
        if let shortcut, let shortcutNorm {
            identity = try shortcut(input, normalizedBy: shortcutNorm, activation: nil, context: context)
        }
        return try (x + identity).relu()
    }
}
