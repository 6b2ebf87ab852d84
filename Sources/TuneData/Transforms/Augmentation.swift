import TuneCore

/// Random training-time transforms, all off by default (``none``).
///
/// ``ImagePreprocessing/render(_:into:augmentation:generator:)`` draws one ``AugmentationParameters`` per image
/// with ``draw(sourceWidth:sourceHeight:using:)`` and applies the geometric ones as a single affine resampling and
/// the photometric ones in the same pass as normalization. The transforms follow Keras's preprocessing layers
/// (`RandomFlip`, `RandomRotation`, `RandomZoom`, `RandomTranslation`, `RandomBrightness`, `RandomContrast`, with
/// `fill_mode="nearest"`) and torchvision's `RandomResizedCrop`.
public struct Augmentation: Sendable, Equatable, Codable {
    /// Mirror left–right with probability ½.
    public var horizontalFlip = false
    /// Mirror top–bottom with probability ½.
    public var verticalFlip = false
    /// Crop a random region (torchvision's algorithm) instead of the preprocessing's full or centred region.
    public var randomResizedCrop: RandomResizedCrop?
    /// Rotate by an angle drawn uniformly in ±`rotationDegrees` (positive: counter-clockwise), 0…180.
    public var rotationDegrees: Float = 0
    /// Zoom by a factor `1 + z`, `z` uniform in ±`zoom`, 0 ≤ `zoom` < 1; like Keras's `RandomZoom`, a factor above 1
    /// zooms out (shows more of the image) and one below 1 zooms in. Both axes use the same factor.
    public var zoom: Float = 0
    /// Shift by fractions of the output width and height drawn independently and uniformly in ±`translation`, 0…1.
    public var translation: Float = 0
    /// Add a delta drawn uniformly in ±`brightness` · 255 to every pixel, 0…1.
    public var brightness: Float = 0
    /// Scale each channel around its mean by a factor drawn uniformly in [1 − `contrast`, 1 + `contrast`], 0…1.
    public var contrast: Float = 0

    /// No augmentation.
    public static let none = Augmentation(unchecked: ())

    /// An augmentation; every transform defaults to off.
    /// - Throws: ``DataError/invalidArgument(message:)`` when a value is out of range (see ``validate()``).
    public init(horizontalFlip: Bool = false, verticalFlip: Bool = false, randomResizedCrop: RandomResizedCrop? = nil,
                rotationDegrees: Float = 0, zoom: Float = 0, translation: Float = 0, brightness: Float = 0,
                contrast: Float = 0) throws(DataError) {
        self.horizontalFlip = horizontalFlip
        self.verticalFlip = verticalFlip
        self.randomResizedCrop = randomResizedCrop
        self.rotationDegrees = rotationDegrees
        self.zoom = zoom
        self.translation = translation
        self.brightness = brightness
        self.contrast = contrast
        try validate()
    }

    private init(unchecked: Void) {}

    /// Whether any transform is on.
    public var isEnabled: Bool {
        horizontalFlip || verticalFlip || randomResizedCrop != nil || rotationDegrees != 0 || zoom != 0
            || translation != 0 || brightness != 0 || contrast != 0
    }

    /// Checks every range.
    /// - Throws: ``DataError/invalidArgument(message:)`` naming the first value out of range.
    public func validate() throws(DataError) {
        try Self.check("rotationDegrees", rotationDegrees, in: 0...180)
        guard zoom.isFinite, zoom >= 0, zoom < 1 else {
            throw DataError.invalidArgument(message: "augmentation zoom must be in 0 ..< 1 (a factor in ±zoom around 1), got \(zoom)")
        }
        try Self.check("translation", translation, in: 0...1, unit: " (a fraction of the image size)")
        try Self.check("brightness", brightness, in: 0...1, unit: " (a fraction of 255)")
        try Self.check("contrast", contrast, in: 0...1, unit: " (the factor is drawn in [1 − contrast, 1 + contrast])")
        try randomResizedCrop?.validate()
    }

    private static func check(_ name: String, _ value: Float, in range: ClosedRange<Float>, unit: String = "") throws(DataError) {
        guard value.isFinite, range.contains(value) else {
            throw DataError.invalidArgument(message: "augmentation \(name) must be in \(range.lowerBound)...\(range.upperBound)\(unit), got \(value)")
        }
    }

    /// Draws the transforms for one image of `sourceWidth`×`sourceHeight` pixels.
    ///
    /// Only enabled transforms consume random numbers, in this order: crop, horizontal flip, vertical flip,
    /// rotation, zoom, translation (x then y), brightness, contrast. With everything off the generator is untouched.
    public func draw(sourceWidth: Int, sourceHeight: Int, using generator: inout SeededGenerator) -> AugmentationParameters {
        var parameters = AugmentationParameters.identity
        if let randomResizedCrop {
            parameters.crop = randomResizedCrop.sample(width: sourceWidth, height: sourceHeight, using: &generator)
        }
        if horizontalFlip { parameters.horizontalFlip = generator.nextUniform() < 0.5 }
        if verticalFlip { parameters.verticalFlip = generator.nextUniform() < 0.5 }
        if rotationDegrees != 0 { parameters.rotationDegrees = drawUniform(-rotationDegrees, rotationDegrees, &generator) }
        if zoom != 0 { parameters.zoom = 1 + drawUniform(-zoom, zoom, &generator) }
        if translation != 0 {
            parameters.translationX = drawUniform(-translation, translation, &generator)
            parameters.translationY = drawUniform(-translation, translation, &generator)
        }
        if brightness != 0 { parameters.brightnessDelta = drawUniform(-brightness, brightness, &generator) * 255 }
        if contrast != 0 { parameters.contrastFactor = drawUniform(1 - contrast, 1 + contrast, &generator) }
        return parameters
    }
}

extension Augmentation: CustomStringConvertible {
    /// The switches that are on, spelled as `finetune train --augment` takes them, e.g. `flip, crop (scale 0.08–1,
    /// aspect 0.75–1.33), rotate:10`; `none` when all are off.
    public var description: String {
        var parts: [String] = []
        if horizontalFlip { parts.append("flip") }
        if verticalFlip { parts.append("vflip") }
        if let crop = randomResizedCrop {
            parts.append(String(format: "crop (scale %g–%g, aspect %.2f–%.2f)", crop.scale.lowerBound, crop.scale.upperBound,
                                crop.aspectRatio.lowerBound, crop.aspectRatio.upperBound))
        }
        for (name, amount) in [("rotate", rotationDegrees), ("zoom", zoom), ("translate", translation),
                               ("brightness", brightness), ("contrast", contrast)] where amount != 0 {
            parts.append("\(name):\(String(format: "%g", amount))")
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
