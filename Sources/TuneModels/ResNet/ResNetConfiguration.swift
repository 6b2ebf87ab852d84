/// A member of the ResNet family with bottleneck blocks (He et al.): how many blocks each of the four stages has.
/// Stage `s` (Keras's `conv<s+2>`, torchvision's `layer<s+1>`) has bottlenecks of width 64·2ˢ that output 4× that;
/// its first block changes the width through a projection shortcut and, from the second stage on, halves the size.
public struct ResNetConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// `"resnet50"`.
    public let name: String
    /// Bottleneck blocks per stage, four entries.
    public let blocksPerStage: [Int]

    /// ResNet50: 3, 4, 6, 3 bottlenecks (16).
    public static let resnet50 = ResNetConfiguration(name: "resnet50", blocksPerStage: [3, 4, 6, 3])

    /// The stem's output channels.
    static let stemChannels = 64
    /// A bottleneck's output is this many times its width.
    static let expansion = 4

    /// Every bottleneck in order: stage, index in the stage, input channels, width, stride.
    var blockSettings: [BottleneckSettings] {
        var settings: [BottleneckSettings] = []
        var channels = Self.stemChannels
        for (stage, count) in blocksPerStage.enumerated() {
            let width = 64 << stage
            for index in 0..<count {
                settings.append(BottleneckSettings(stage: stage, index: index, inChannels: channels, width: width,
                                                   stride: index == 0 && stage > 0 ? 2 : 1))
                channels = width * Self.expansion
            }
        }
        return settings
    }

    /// Channels of the last feature map (2048).
    public var featureChannels: Int { (64 << (blocksPerStage.count - 1)) * Self.expansion }

    public var description: String { "\(name) (\(blocksPerStage.reduce(0, +)) bottlenecks in \(blocksPerStage.count) stages)" }
}

/// One bottleneck's place and shape.
struct BottleneckSettings: Hashable {
    let stage: Int
    let index: Int
    let inChannels: Int
    let width: Int
    let stride: Int

    var outChannels: Int { width * ResNetConfiguration.expansion }
    /// The first block of a stage projects its input (1×1 convolution and BatchNorm) to add it.
    var hasProjection: Bool { index == 0 }
    /// Keras's layer prefix, `conv<stage + 2>_block<index + 1>`.
    var kerasName: String { "conv\(stage + 2)_block\(index + 1)" }
    /// torchvision's module path, `layer<stage + 1>.<index>`.
    var torchvisionName: String { "layer\(stage + 1).\(index)" }
}
