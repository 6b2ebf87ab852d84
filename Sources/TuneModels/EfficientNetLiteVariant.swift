import Foundation

/// A member of the EfficientNet-Lite family: width and depth multipliers, input resolution and dropout rate,
/// as in TensorFlow's `efficientnet_lite_builder` (tensorflow/tpu, models/official/efficientnet/lite).
///
/// Lite differs from B0…B7 in ways that matter for the block table: the stem (32) and head (1280) widths are not
/// scaled, and the first and last stages keep their repeat count (1) whatever the depth multiplier. The other
/// stages get `ceil(depthMultiplier · repeats)` blocks; every stage width is rounded with TF's `round_filters`
/// (multiples of 8, never more than 10 % below the scaled value).
public struct EfficientNetLiteVariant: Sendable, Hashable, CustomStringConvertible {
    /// `"efficientnet-lite0"` … `"efficientnet-lite4"`.
    public let name: String
    /// Scales the stage widths (TF `width_coefficient`).
    public let widthMultiplier: Double
    /// Scales the stage repeats (TF `depth_coefficient`).
    public let depthMultiplier: Double
    /// The input side the variant was trained at (square).
    public let inputSize: Int
    /// The dropout rate before the classifier.
    public let dropoutRate: Float

    public init(name: String, widthMultiplier: Double, depthMultiplier: Double, inputSize: Int, dropoutRate: Float) {
        self.name = name
        self.widthMultiplier = widthMultiplier
        self.depthMultiplier = depthMultiplier
        self.inputSize = inputSize
        self.dropoutRate = dropoutRate
    }

    public static let lite0 = EfficientNetLiteVariant(name: "efficientnet-lite0", widthMultiplier: 1.0,
                                                      depthMultiplier: 1.0, inputSize: 224, dropoutRate: 0.2)
    public static let lite1 = EfficientNetLiteVariant(name: "efficientnet-lite1", widthMultiplier: 1.0,
                                                      depthMultiplier: 1.1, inputSize: 240, dropoutRate: 0.2)
    public static let lite2 = EfficientNetLiteVariant(name: "efficientnet-lite2", widthMultiplier: 1.1,
                                                      depthMultiplier: 1.2, inputSize: 260, dropoutRate: 0.3)
    public static let lite3 = EfficientNetLiteVariant(name: "efficientnet-lite3", widthMultiplier: 1.2,
                                                      depthMultiplier: 1.4, inputSize: 280, dropoutRate: 0.3)
    public static let lite4 = EfficientNetLiteVariant(name: "efficientnet-lite4", widthMultiplier: 1.4,
                                                      depthMultiplier: 1.8, inputSize: 300, dropoutRate: 0.3)

    /// Lite0 … Lite4.
    public static let all: [EfficientNetLiteVariant] = [.lite0, .lite1, .lite2, .lite3, .lite4]

    /// The variant called `name` (`"lite2"` or `"efficientnet-lite2"`, case-insensitive), or `nil`.
    public static func named(_ name: String) -> EfficientNetLiteVariant? {
        let wanted = name.lowercased()
        return all.first { $0.name == wanted || $0.name == "efficientnet-" + wanted }
    }

    /// Stem output channels: 32 for every Lite variant (not scaled).
    public var stemChannels: Int { 32 }
    /// Head (last 1×1 convolution) output channels: 1280 for every Lite variant (not scaled).
    public var headChannels: Int { 1280 }
    /// The channel rounding divisor (TF `depth_divisor`).
    public static let channelDivisor = 8

    /// TF `round_filters`: `filters · widthMultiplier` rounded to the nearest multiple of 8 (at least 8), plus 8
    /// when rounding lost more than 10 %.
    public func roundFilters(_ filters: Int) -> Int {
        let divisor = Self.channelDivisor
        let scaled = Double(filters) * widthMultiplier
        var rounded = max(divisor, Int(scaled + Double(divisor) / 2) / divisor * divisor)
        if Double(rounded) < 0.9 * scaled { rounded += divisor }
        return rounded
    }

    /// TF `round_repeats`: `ceil(depthMultiplier · repeats)`, except that Lite keeps the first and last stages as
    /// they are.
    public func roundRepeats(_ repeats: Int, stage: Int, stageCount: Int) -> Int {
        if stage == 0 || stage == stageCount - 1 { return repeats }
        return Int((depthMultiplier * Double(repeats)).rounded(.up))
    }

    /// Every block of the variant, in order, with actual channel counts (block 0 reads the unscaled stem).
    public var blockConfigurations: [MBConvBlockConfiguration] {
        let stages = EfficientNetLiteStage.base
        var blocks: [MBConvBlockConfiguration] = []
        var channels = stemChannels
        for (stageIndex, stage) in stages.enumerated() {
            let out = roundFilters(stage.outChannels)
            let repeats = roundRepeats(stage.repeats, stage: stageIndex, stageCount: stages.count)
            for repeatIndex in 0..<repeats {
                blocks.append(MBConvBlockConfiguration(index: blocks.count, stage: stageIndex,
                                                       expandRatio: stage.expandRatio, kernelSize: stage.kernelSize,
                                                       stride: repeatIndex == 0 ? stage.stride : 1,
                                                       inChannels: channels, outChannels: out))
                channels = out
            }
        }
        return blocks
    }

    public var description: String {
        "\(name) (width ×\(widthMultiplier), depth ×\(depthMultiplier), \(inputSize)², dropout \(dropoutRate))"
    }
}
