/// The settings of one MBConv block (inverted bottleneck) after width and depth scaling: the row a builder
/// turns into an ``MBConvBlock``.
public struct MBConvBlockConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The block's position in the network (`_blocks.N`).
    public let index: Int
    /// The stage the block belongs to (0…6).
    public let stage: Int
    /// The expansion ratio (1: no expand convolution).
    public let expandRatio: Int
    /// The depthwise kernel size (square).
    public let kernelSize: Int
    /// The depthwise stride.
    public let stride: Int
    /// Actual input channels (the previous block's output; the stem's for block 0).
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int

    public init(index: Int, stage: Int, expandRatio: Int, kernelSize: Int, stride: Int, inChannels: Int,
                outChannels: Int) {
        self.index = index
        self.stage = stage
        self.expandRatio = expandRatio
        self.kernelSize = kernelSize
        self.stride = stride
        self.inChannels = inChannels
        self.outChannels = outChannels
    }

    /// Channels inside the bottleneck: `inChannels · expandRatio`.
    public var expandedChannels: Int { inChannels * expandRatio }

    /// Whether the block has an expand (1×1) convolution.
    public var hasExpansion: Bool { expandRatio != 1 }

    /// Whether the block adds its input to its output: stride 1 and as many input as output channels.
    public var hasResidual: Bool { stride == 1 && inChannels == outChannels }

    public var description: String {
        "block \(index) (stage \(stage)): e\(expandRatio) k\(kernelSize) s\(stride) \(inChannels)→\(outChannels)"
            + (hasResidual ? " +skip" : "")
    }
}
