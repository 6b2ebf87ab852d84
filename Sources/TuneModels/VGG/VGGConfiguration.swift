/// A member of the VGG family (Simonyan & Zisserman): how many 3×3 convolutions each of the five blocks has. Every
/// block ends with a 2×2 max pool of stride 2; block widths are 64, 128, 256, 512, 512.
public struct VGGConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// `"vgg16"`.
    public let name: String
    /// The convolutions in each block, five entries.
    public let convolutionsPerBlock: [Int]

    /// The output channels of every convolution of block `index` (0…4).
    static let blockWidths = [64, 128, 256, 512, 512]

    /// VGG16: 2, 2, 3, 3, 3 convolutions (13), then three dense layers with the top.
    public static let vgg16 = VGGConfiguration(name: "vgg16", convolutionsPerBlock: [2, 2, 3, 3, 3])

    /// Channels of the last feature map (512).
    public var featureChannels: Int { Self.blockWidths[Self.blockWidths.count - 1] }

    /// The width of the top's two hidden dense layers (`fc1`, `fc2`).
    static let hiddenUnits = 4096

    /// The side of the feature map the top's first dense layer reads: 224² input, five 2×2 pools.
    static let topFeatureSide = 7

    public var description: String { "\(name) (\(convolutionsPerBlock.reduce(0, +)) convolutions in 5 blocks)" }
}
