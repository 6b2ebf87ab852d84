/// The settings of one MBConv block (inverted bottleneck) after width and depth scaling: the row a builder
/// turns into an ``MBConvBlock``.
struct MBConvBlockConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The block's position in the network (`_blocks.N`).
    let index: Int
    /// The stage the block belongs to (0…6).
    let stage: Int
    /// The expansion ratio (1: no expand convolution).
    let expandRatio: Int
    /// The depthwise kernel size (square).
    let kernelSize: Int
    /// The depthwise stride.
    let stride: Int
    /// Actual input channels (the previous block's output; the stem's for block 0).
    let inChannels: Int
    /// Output channels.
    let outChannels: Int

    init(index: Int, stage: Int, expandRatio: Int, kernelSize: Int, stride: Int, inChannels: Int,
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
    var expandedChannels: Int { inChannels * expandRatio }

    /// Whether the block has an expand (1×1) convolution.
    var hasExpansion: Bool { expandRatio != 1 }

    /// Whether the block adds its input to its output: stride 1 and as many input as output channels.
    var hasResidual: Bool { stride == 1 && inChannels == outChannels }

    var description: String {
        "block \(index) (stage \(stage)): e\(expandRatio) k\(kernelSize) s\(stride) \(inChannels)→\(outChannels)"
            + (hasResidual ? " +skip" : "")
    }
}
