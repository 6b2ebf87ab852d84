/// One stage of the EfficientNet base network (B0 / Lite0): `repeats` MBConv blocks with the same kernel and
/// expansion; the first block of the stage applies `stride` and maps `inChannels → outChannels`, the others are
/// stride 1 and `outChannels → outChannels`.
///
/// Channel counts and repeats are the unscaled base values; ``EfficientNetLiteVariant`` scales them.
struct EfficientNetLiteStage: Sendable, Hashable {
    /// The expansion ratio of the inverted bottleneck (1 means no expand convolution).
    let expandRatio: Int
    /// The depthwise kernel size (square).
    let kernelSize: Int
    /// The stride of the stage's first block.
    let stride: Int
    /// Input channels of the stage's first block (base width).
    let inChannels: Int
    /// Output channels of every block in the stage (base width).
    let outChannels: Int
    /// Blocks in the stage (base depth).
    let repeats: Int

    init(expandRatio: Int, kernelSize: Int, stride: Int, inChannels: Int, outChannels: Int, repeats: Int) {
        self.expandRatio = expandRatio
        self.kernelSize = kernelSize
        self.stride = stride
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.repeats = repeats
    }

    /// The seven stages of EfficientNet-B0 / Lite0 (16 blocks): expand, kernel, stride, in, out, repeats.
    static let base: [EfficientNetLiteStage] = [
        .init(expandRatio: 1, kernelSize: 3, stride: 1, inChannels: 32, outChannels: 16, repeats: 1),
        .init(expandRatio: 6, kernelSize: 3, stride: 2, inChannels: 16, outChannels: 24, repeats: 2),
        .init(expandRatio: 6, kernelSize: 5, stride: 2, inChannels: 24, outChannels: 40, repeats: 2),
        .init(expandRatio: 6, kernelSize: 3, stride: 2, inChannels: 40, outChannels: 80, repeats: 3),
        .init(expandRatio: 6, kernelSize: 5, stride: 1, inChannels: 80, outChannels: 112, repeats: 3),
        .init(expandRatio: 6, kernelSize: 5, stride: 2, inChannels: 112, outChannels: 192, repeats: 4),
        .init(expandRatio: 6, kernelSize: 3, stride: 1, inChannels: 192, outChannels: 320, repeats: 1),
    ]
}
