/// One drawn instance of an ``Augmentation``: concrete values that
/// ``ImagePreprocessing/render(_:into:parameters:)`` applies deterministically.
///
/// Geometry, seen from the output image: the output is the (cropped, resized) source flipped, then rotated about
/// its centre, then zoomed about its centre, then translated. Sampling maps each output pixel back to the source
/// through the inverse of that composite; outside the source the nearest edge pixel is used. Photometry: with the
/// resampled value `v` (0…255) and its channel mean `m` over the output, the pixel becomes
/// `clamp((v − m) · contrastFactor + m + brightnessDelta, 0, 255)`, then it is normalized.
public struct AugmentationParameters: Sendable, Equatable {
    /// The source region to resize to the output, or `nil` for the preprocessing's own (whole image or centre crop).
    public var crop: CropRegion?
    /// Mirror left–right.
    public var horizontalFlip = false
    /// Mirror top–bottom.
    public var verticalFlip = false
    /// Counter-clockwise rotation in degrees, as displayed (rows top to bottom).
    public var rotationDegrees: Float = 0
    /// Source span / output span; above 1 zooms out, below 1 zooms in. Positive.
    public var zoom: Float = 1
    /// Shift right by this fraction of the output width.
    public var translationX: Float = 0
    /// Shift down by this fraction of the output height.
    public var translationY: Float = 0
    /// Added to every pixel, in pixel units.
    public var brightnessDelta: Float = 0
    /// Contrast factor around each channel's mean; non-negative.
    public var contrastFactor: Float = 1

    /// No change.
    public static let identity = AugmentationParameters()

    /// Fixed transform values; the defaults change nothing.
    public init(crop: CropRegion? = nil, horizontalFlip: Bool = false, verticalFlip: Bool = false,
                rotationDegrees: Float = 0, zoom: Float = 1, translationX: Float = 0, translationY: Float = 0,
                brightnessDelta: Float = 0, contrastFactor: Float = 1) {
        self.crop = crop
        self.horizontalFlip = horizontalFlip
        self.verticalFlip = verticalFlip
        self.rotationDegrees = rotationDegrees
        self.zoom = zoom
        self.translationX = translationX
        self.translationY = translationY
        self.brightnessDelta = brightnessDelta
        self.contrastFactor = contrastFactor
    }

    /// Checks the values against a `sourceWidth`×`sourceHeight` source.
    /// - Throws: ``DataError/invalidArgument(message:)`` naming the bad value.
    func validate(sourceWidth: Int, sourceHeight: Int) throws(DataError) {
        if let crop, !crop.isInside(width: sourceWidth, height: sourceHeight) {
            throw DataError.invalidArgument(message: "crop \(crop) is not inside the \(sourceWidth)×\(sourceHeight) image")
        }
        guard rotationDegrees.isFinite, translationX.isFinite, translationY.isFinite else {
            throw DataError.invalidArgument(message: "augmentation rotation and translation must be finite, got "
                                            + "\(rotationDegrees)°, (\(translationX), \(translationY))")
        }
        guard zoom.isFinite, zoom > 0 else {
            throw DataError.invalidArgument(message: "augmentation zoom factor must be positive and finite, got \(zoom)")
        }
        guard brightnessDelta.isFinite, abs(brightnessDelta) <= 255 else {
            throw DataError.invalidArgument(message: "brightness delta must be within ±255, got \(brightnessDelta)")
        }
        guard contrastFactor.isFinite, contrastFactor >= 0 else {
            throw DataError.invalidArgument(message: "contrast factor must be non-negative and finite, got \(contrastFactor)")
        }
    }
}
