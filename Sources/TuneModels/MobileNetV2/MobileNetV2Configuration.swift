/// A member of the MobileNetV2 family (Sandler et al.): the width multiplier α and the block table it scales.
///
/// 17 inverted-residual blocks of (output filters, stride, expansion) from the paper's table; block widths are
/// `makeDivisible(filters · α)`, the stem's `makeDivisible(32 · α)`, the last 1×1 convolution's 1280 (scaled only
/// when α > 1), as `keras.applications.MobileNetV2` and torchvision's `mobilenet_v2` compute them.
public struct MobileNetV2Configuration: Sendable, Hashable, CustomStringConvertible {
    /// The width multiplier α (Keras's `alpha`, torchvision's `width_mult`).
    public let widthMultiplier: Double

    public init(widthMultiplier: Double = 1.0) { self.widthMultiplier = widthMultiplier }

    /// The widths Keras publishes ImageNet weights for: 1.0, 0.75, 0.5, 0.35 (and 1.3, 1.4).
    public static let standardWidths: [Double] = [1.0, 0.75, 0.5, 0.35]

    /// (output filters before scaling, stride, expansion) of each block.
    static let table: [(filters: Int, stride: Int, expansion: Int)] = [
        (16, 1, 1),
        (24, 2, 6), (24, 1, 6),
        (32, 2, 6), (32, 1, 6), (32, 1, 6),
        (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
        (96, 1, 6), (96, 1, 6), (96, 1, 6),
        (160, 2, 6), (160, 1, 6), (160, 1, 6),
        (320, 1, 6),
    ]

    /// `value` rounded to the nearest multiple of 8 (at least 8), plus 8 when that lost more than 10 %.
    static func makeDivisible(_ value: Double, divisor: Int = 8) -> Int {
        var rounded = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
        if Double(rounded) < 0.9 * value { rounded += divisor }
        return rounded
    }

    /// The stem convolution's output channels.
    var stemChannels: Int { Self.makeDivisible(32 * widthMultiplier) }

    /// The last 1×1 convolution's output channels (the feature map's).
    public var featureChannels: Int { widthMultiplier > 1 ? Self.makeDivisible(1280 * widthMultiplier) : 1280 }

    /// Every block in order, with actual channel counts.
    var blockSettings: [InvertedResidualSettings] {
        var channels = stemChannels
        return Self.table.enumerated().map { index, row in
            // Keras scales with int(filters · α) first, then rounds.
            let out = Self.makeDivisible(Double(Int(Double(row.filters) * widthMultiplier)))
            defer { channels = out }
            return InvertedResidualSettings(index: index, inChannels: channels, expandedChannels: channels * row.expansion,
                                            outChannels: out, stride: row.stride)
        }
    }

    /// `"mobilenetv2"`, or `"mobilenetv2-0.75"` for another width.
    public var name: String { widthMultiplier == 1 ? "mobilenetv2" : "mobilenetv2-\(widthLabel)" }

    /// `0.75`, `0.5`, `1`: the multiplier without trailing zeros.
    var widthLabel: String { widthMultiplier == widthMultiplier.rounded() ? String(Int(widthMultiplier)) : String(widthMultiplier) }

    public var description: String { "MobileNetV2 (α \(widthLabel), 17 inverted-residual blocks)" }
}

/// One inverted-residual block's place and shape.
struct InvertedResidualSettings: Hashable {
    let index: Int
    let inChannels: Int
    let expandedChannels: Int
    let outChannels: Int
    let stride: Int

    /// Block 0 has an expansion of 1: no expanding convolution.
    var hasExpansion: Bool { expandedChannels != inChannels }
    /// The input is added when the block keeps the size and the width.
    var hasResidual: Bool { stride == 1 && inChannels == outChannels }
    /// Keras's layer prefix: `expanded_conv_` for block 0, `block_<i>_` after.
    var kerasPrefix: String { index == 0 ? "expanded_conv_" : "block_\(index)_" }
}
