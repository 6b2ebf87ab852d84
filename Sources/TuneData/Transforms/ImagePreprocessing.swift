import Foundation
import TuneCore

/// Turns a decoded image into one network input: crop, resize, (augment,) normalize — as a planar RGB float
/// image `[3, height, width]`, one sample of an NCHW batch.
///
/// Rendering is a single pass over the output: every geometric step (the crop, random-resized crop, flips,
/// rotation, zoom, translation and the resize itself) is composed into one affine map from output pixels to
/// source coordinates and the source is sampled once; brightness and ``normalization`` are applied in the same
/// pass (contrast, which needs each channel's mean, adds one pass over the output). Without rotation the map is axis-aligned and sampling runs as two 1-D passes over precomputed
/// per-column and per-row tables (an exact box filter for ``ResizeMethod/area``, PIL's antialiased cubic filter
/// for ``ResizeMethod/bicubic``); with rotation each pixel is interpolated directly from its 2×2 or 4×4
/// neighbourhood (bilinear, or bicubic for ``ResizeMethod/bicubic``), without antialiasing. Grayscale images are
/// replicated to the three channels.
///
/// Values are safe to share between threads; ``render(_:into:augmentation:generator:)`` allocates only small
/// per-image tables and scratch rows.
public struct ImagePreprocessing: Sendable, Equatable {
    /// The largest output side accepted.
    public static let maximumSide = 16_384

    /// Output rows.
    public var height: Int
    /// Output columns.
    public var width: Int
    /// The resampling filter.
    public var method: ResizeMethod
    /// When true, crop the largest centred region with the output's aspect ratio before resizing (aspect ratio
    /// kept, borders dropped, like Keras's `crop_to_aspect_ratio=True` or torchvision's resize + centre crop); when
    /// false, stretch the whole image to the output size, like Keras's `flow_from_directory`.
    /// A random-resized crop, when drawn, replaces this region.
    public var centerCrop: Bool
    /// The normalization applied last.
    public var normalization: Normalization

    /// A preprocessing to `height`×`width`. The size is checked by ``validate()``, which every render calls
    /// (rendering throws for a side outside 1…``maximumSide``); call it early to fail before any work starts.
    public init(height: Int, width: Int, method: ResizeMethod = .bilinear, centerCrop: Bool = false,
                normalization: Normalization) {
        self.height = height
        self.width = width
        self.method = method
        self.centerCrop = centerCrop
        self.normalization = normalization
    }

    /// `[3, height, width]`.
    public var outputShape: [Int] { [3, height, width] }

    /// Floats written per image: `3 · height · width` (0 when a side is negative).
    public var outputCount: Int { 3 * max(height, 0) * max(width, 0) }

    /// Checks the output size.
    /// - Throws: ``DataError/invalidArgument(message:)`` when a side is not in 1…``maximumSide``.
    public func validate() throws(DataError) {
        guard (1...Self.maximumSide).contains(height), (1...Self.maximumSide).contains(width) else {
            throw DataError.invalidArgument(message: "output size \(width)×\(height) (width×height): each side must be "
                                            + "in 1...\(Self.maximumSide)")
        }
    }

    /// Renders `image` into `destination` (``outputCount`` floats, planar RGB), drawing random transforms from
    /// `augmentation` with `generator` (untouched when `augmentation` is off).
    /// - Throws: ``DataError/invalidArgument(message:)`` when the output size, the augmentation or the image is
    ///   invalid (the image must have 1 or 3 channels and `width · height · channels` bytes).
    public func render(_ image: PixelImage, into destination: UnsafeMutablePointer<Float>,
                       augmentation: Augmentation = .none, generator: inout SeededGenerator) throws(DataError) {
        var parameters = AugmentationParameters.identity
        if augmentation.isEnabled {
            try augmentation.validate()
            try Self.validate(image)
            parameters = augmentation.draw(sourceWidth: image.width, sourceHeight: image.height, using: &generator)
        }
        try render(image, into: destination, parameters: parameters)
    }

    /// Renders `image` into `destination` (``outputCount`` floats, planar RGB) without augmentation.
    /// - Throws: ``DataError/invalidArgument(message:)`` when the output size or the image is invalid.
    public func render(_ image: PixelImage, into destination: UnsafeMutablePointer<Float>) throws(DataError) {
        try render(image, into: destination, parameters: .identity)
    }

    /// Renders `image` into a new `[3, height, width]` array (convenient for tests and one-off use).
    /// - Throws: as ``render(_:into:augmentation:generator:)``.
    public func render(_ image: PixelImage, augmentation: Augmentation = .none,
                       generator: inout SeededGenerator) throws(DataError) -> [Float] {
        try validate()
        var output = [Float](repeating: 0, count: outputCount)
        var failure: DataError?
        output.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            do throws(DataError) {
                try render(image, into: base, augmentation: augmentation, generator: &generator)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Renders `image` into `destination` (``outputCount`` floats, planar RGB) with fixed transform values.
    /// - Throws: ``DataError/invalidArgument(message:)`` when the output size, the image or a value in
    ///   `parameters` is invalid (for example a crop outside the image).
    public func render(_ image: PixelImage, into destination: UnsafeMutablePointer<Float>,
                       parameters: AugmentationParameters) throws(DataError) {
        try render(image, into: destination, parameters: parameters, passOrder: nil)
    }

    /// ``render(_:into:parameters:)`` with the separable pass order forced (for tests).
    func render(_ image: PixelImage, into destination: UnsafeMutablePointer<Float>, parameters: AugmentationParameters,
                passOrder: SeparableResampler.PassOrder?) throws(DataError) {
        try validate()
        try Self.validate(image)
        try parameters.validate(sourceWidth: image.width, sourceHeight: image.height)
        let map = samplingMap(sourceWidth: image.width, sourceHeight: image.height, parameters: parameters)
        guard map.isFinite else {
            throw DataError.invalidArgument(message: "augmentation parameters give a non-finite sampling map: \(parameters)")
        }
        let contrast = parameters.contrastFactor != 1
        let pixel = contrast ? PixelTransform.clampOnly(normalization.channelOrder)
            : PixelTransform(brightnessDelta: parameters.brightnessDelta, normalization: normalization)
        let (w, h, channels, method) = (width, height, image.channels, method)
        image.pixels.withUnsafeBufferPointer { pixels in
            guard let source = pixels.baseAddress else { return }
            if map.isAxisAligned {
                let columns = ResamplingTable(method: method, outputCount: w, sourceCount: image.width,
                                              scale: map.xx, offset: map.tx)
                let rows = ResamplingTable(method: method, outputCount: h, sourceCount: image.height,
                                           scale: map.yy, offset: map.ty)
                SeparableResampler.render(source: source, sourceWidth: image.width, channels: channels,
                                          columns: columns, rows: rows, outputWidth: w, outputHeight: h,
                                          pixel: pixel, destination: destination, order: passOrder)
            } else if method == .bicubic {
                AffineResampler.renderBicubic(source: source, sourceWidth: image.width, sourceHeight: image.height,
                                              channels: channels, map: AffineResampler.Map(map), outputWidth: w,
                                              outputHeight: h, pixel: pixel, destination: destination)
            } else {
                AffineResampler.renderBilinear(source: source, sourceWidth: image.width, sourceHeight: image.height,
                                               channels: channels, map: AffineResampler.Map(map), outputWidth: w,
                                               outputHeight: h, pixel: pixel, destination: destination)
            }
        }
        if contrast {
            ContrastPass.apply(to: destination, planeCount: w * h, factor: parameters.contrastFactor,
                               delta: parameters.brightnessDelta, normalization: normalization)
        }
    }

    /// The source region resized to the output before augmentation: the drawn crop, else the centred crop or the
    /// whole image.
    func baseRegion(sourceWidth: Int, sourceHeight: Int, parameters: AugmentationParameters) -> CropRegion {
        if let crop = parameters.crop { return crop }
        if centerCrop {
            return .centered(width: sourceWidth, height: sourceHeight, targetWidth: width, targetHeight: height)
        }
        return .full(width: sourceWidth, height: sourceHeight)
    }

    /// The affine map from output pixel indices `(x, y)` to source index coordinates (pixel `i`'s centre is `i`).
    ///
    /// Output pixel centres are taken relative to the output centre, translated back, scaled by the zoom factor,
    /// rotated back, flipped, then mapped onto the crop region (half-pixel centres).
    func samplingMap(sourceWidth: Int, sourceHeight: Int, parameters: AugmentationParameters) -> AffineMap {
        let region = baseRegion(sourceWidth: sourceWidth, sourceHeight: sourceHeight, parameters: parameters)
        let ow = Double(width), oh = Double(height)
        var map = AffineMap.translation(0.5 - ow / 2, 0.5 - oh / 2)
        if parameters.translationX != 0 || parameters.translationY != 0 {
            map = map.then(.translation(-Double(parameters.translationX) * ow, -Double(parameters.translationY) * oh))
        }
        if parameters.zoom != 1 {
            map = map.then(.scale(Double(parameters.zoom), Double(parameters.zoom)))
        }
        if parameters.rotationDegrees != 0 {
            let (cosine, sine) = Self.cosineAndSine(degrees: Double(parameters.rotationDegrees))
            map = map.then(.rotation(cos: cosine, sin: sine))
        }
        if parameters.horizontalFlip || parameters.verticalFlip {
            map = map.then(.scale(parameters.horizontalFlip ? -1 : 1, parameters.verticalFlip ? -1 : 1))
        }
        return map
            .then(.translation(ow / 2, oh / 2))
            .then(.scale(Double(region.width) / ow, Double(region.height) / oh))
            .then(.translation(Double(region.x) - 0.5, Double(region.y) - 0.5))
    }

    /// Cosine and sine of an angle in degrees, exact at multiples of 90°.
    static func cosineAndSine(degrees: Double) -> (Double, Double) {
        let turns = degrees / 90
        if turns == turns.rounded() {
            switch ((Int(turns) % 4) + 4) % 4 {
            case 0: return (1, 0)
            case 1: return (0, 1)
            case 2: return (-1, 0)
            default: return (0, -1)
            }
        }
        let radians = degrees * Double.pi / 180
        return (cos(radians), sin(radians))
    }

    /// The largest source side accepted (the kernels index rows and columns with 32-bit integers and locate
    /// samples in `Float`).
    public static let maximumSourceSide = 1 << 20

    /// Checks that `image` has 1 or 3 channels, sides up to ``maximumSourceSide`` and as many bytes as its size
    /// announces.
    static func validate(_ image: PixelImage) throws(DataError) {
        guard image.width > 0, image.height > 0, image.channels == 1 || image.channels == 3 else {
            throw DataError.invalidArgument(message: "cannot preprocess a \(image.width)×\(image.height) image with "
                                            + "\(image.channels) channels: need a positive size and 1 or 3 channels")
        }
        guard image.width <= maximumSourceSide, image.height <= maximumSourceSide else {
            throw DataError.invalidArgument(message: "cannot preprocess a \(image.width)×\(image.height) image: "
                                            + "each side must be at most \(maximumSourceSide)")
        }
        let expected = image.width.multipliedReportingOverflow(by: image.height)
        guard !expected.overflow, image.pixels.count == expected.partialValue * image.channels else {
            throw DataError.invalidArgument(message: "image \(image.width)×\(image.height)×\(image.channels) needs "
                                            + "\(image.width * image.height * image.channels) bytes, has \(image.pixels.count)")
        }
    }
}
