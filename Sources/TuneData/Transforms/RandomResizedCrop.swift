import Foundation
import TuneCore

/// torchvision's `RandomResizedCrop` region sampler: a random area fraction and aspect ratio, then a random
/// position; the region is afterwards resized (stretched) to the output size.
///
/// The algorithm is torchvision's `RandomResizedCrop.get_params`: up to 10 attempts draw an area
/// `uniform(scale) · W · H` and an aspect ratio (width / height) `exp(uniform(log ratio))`, round the side lengths,
/// and accept the first region that fits; otherwise it falls back to the largest centred region whose aspect
/// ratio is clamped to the allowed range.
public struct RandomResizedCrop: Sendable, Equatable, Codable {
    /// The fraction of the source area to keep, within (0, 1].
    public var scale: ClosedRange<Float>
    /// The region's width / height ratio, before resizing; positive.
    public var aspectRatio: ClosedRange<Float>

    /// torchvision's defaults: `scale` 0.08…1, `aspectRatio` 3/4…4/3.
    public static let standard = RandomResizedCrop(unchecked: 0.08...1, aspectRatio: Float(3.0 / 4.0)...Float(4.0 / 3.0))

    /// A sampler with the given ranges.
    /// - Throws: ``DataError/invalidArgument(message:)`` when `scale` is not within (0, 1] or `aspectRatio` is
    ///   not positive and finite.
    public init(scale: ClosedRange<Float> = 0.08...1,
                aspectRatio: ClosedRange<Float> = Float(3.0 / 4.0)...Float(4.0 / 3.0)) throws(DataError) {
        self.init(unchecked: scale, aspectRatio: aspectRatio)
        try validate()
    }

    private init(unchecked scale: ClosedRange<Float>, aspectRatio: ClosedRange<Float>) {
        self.scale = scale
        self.aspectRatio = aspectRatio
    }

    /// Checks the ranges.
    /// - Throws: ``DataError/invalidArgument(message:)`` naming the bad range.
    public func validate() throws(DataError) {
        guard scale.lowerBound > 0, scale.upperBound <= 1, scale.lowerBound.isFinite else {
            throw DataError.invalidArgument(message: "random-resized-crop scale must lie within (0, 1], got "
                                            + "\(scale.lowerBound)...\(scale.upperBound)")
        }
        guard aspectRatio.lowerBound > 0, aspectRatio.upperBound.isFinite else {
            throw DataError.invalidArgument(message: "random-resized-crop aspect ratio must be positive and finite, got "
                                            + "\(aspectRatio.lowerBound)...\(aspectRatio.upperBound)")
        }
    }

    /// Draws a region of a `width`×`height` image; always inside the image and at least 1×1.
    public func sample(width: Int, height: Int, using generator: inout SeededGenerator) -> CropRegion {
        let area = Double(width) * Double(height)
        let logLow = log(Double(aspectRatio.lowerBound)), logHigh = log(Double(aspectRatio.upperBound))
        for _ in 0..<10 {
            let targetArea = area * Double(drawUniform(scale.lowerBound, scale.upperBound, &generator))
            let ratio = exp(logLow + (logHigh - logLow) * Double(generator.nextUniform()))
            let w = Int((targetArea * ratio).squareRoot().rounded())
            let h = Int((targetArea / ratio).squareRoot().rounded())
            if w > 0, w <= width, h > 0, h <= height {
                let y = Int.random(in: 0...(height - h), using: &generator)
                let x = Int.random(in: 0...(width - w), using: &generator)
                return CropRegion(x: x, y: y, width: w, height: h)
            }
        }
        // Fallback: a centred crop with the aspect ratio clamped to the range.
        let inRatio = Double(width) / Double(height)
        var w = width, h = height
        if inRatio < Double(aspectRatio.lowerBound) {
            h = min(height, max(1, Int((Double(w) / Double(aspectRatio.lowerBound)).rounded())))
        } else if inRatio > Double(aspectRatio.upperBound) {
            w = min(width, max(1, Int((Double(h) * Double(aspectRatio.upperBound)).rounded())))
        }
        return CropRegion(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
    }
}

/// A uniform float in `[low, high)` (or `low` when the range is empty).
@inline(__always)
func drawUniform(_ low: Float, _ high: Float, _ generator: inout SeededGenerator) -> Float {
    low + (high - low) * generator.nextUniform()
}
