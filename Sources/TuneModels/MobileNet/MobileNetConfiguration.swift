/// A member of the MobileNet (v1) family (Howard et al.): the width multiplier α and the block table it scales, as
/// `keras.applications.MobileNet` builds it — every width is `int(filters · α)`, with no rounding to multiples of 8.
public struct MobileNetConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The width multiplier α (Keras's `alpha`).
    public let widthMultiplier: Double

    public init(widthMultiplier: Double = 1.0) { self.widthMultiplier = widthMultiplier }

    /// The widths Keras publishes ImageNet weights for.
    public static let standardWidths: [Double] = [1.0, 0.75, 0.5, 0.25]

    /// (pointwise filters before scaling, stride) of the 13 depthwise-separable blocks.
    static let table: [(filters: Int, stride: Int)] = [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ]

    /// `filters · α`, truncated as Keras does.
    func scaled(_ filters: Int) -> Int { Int(Double(filters) * widthMultiplier) }

    /// The stem convolution's output channels.
    var stemChannels: Int { scaled(32) }

    /// Channels of the last feature map (1024 · α).
    public var featureChannels: Int { scaled(Self.table[Self.table.count - 1].filters) }

    /// Every block in order (ids 1…13, as Keras names them), with actual channel counts.
    var blockSettings: [DepthwiseSeparableSettings] {
        var channels = stemChannels
        return Self.table.enumerated().map { index, row in
            defer { channels = scaled(row.filters) }
            return DepthwiseSeparableSettings(id: index + 1, inChannels: channels, outChannels: scaled(row.filters), stride: row.stride)
        }
    }

    /// `"mobilenet"`, or `"mobilenet-0.25"` for another width.
    public var name: String {
        widthMultiplier == 1 ? "mobilenet" : "mobilenet-\(widthMultiplier == widthMultiplier.rounded() ? String(Int(widthMultiplier)) : String(widthMultiplier))"
    }

    public var description: String { "MobileNet (α \(widthMultiplier), 13 depthwise-separable blocks)" }
}

/// One depthwise-separable block's place and shape.
struct DepthwiseSeparableSettings: Hashable {
    /// Keras's block id, 1…13.
    let id: Int
    let inChannels: Int
    let outChannels: Int
    let stride: Int
}
