/// A decoded 8-bit image: rows top to bottom, pixels left to right, channels interleaved (HWC).
/// One channel is grayscale, three are RGB.
public struct PixelImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// 1 (grayscale) or 3 (RGB).
    public let channels: Int
    /// `height · width · channels` bytes.
    public var pixels: [UInt8]

    /// Wraps `pixels`; throws when the count does not match the dimensions or the channel count is not 1 or 3.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, channels == 1 || channels == 3 else {
            throw DataError.invalidArgument(message: "image \(width)×\(height)×\(channels): need positive size and 1 or 3 channels")
        }
        guard pixels.count == width * height * channels else {
            throw DataError.invalidArgument(message: "image \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The bytes the image occupies.
    public var byteCount: Int { pixels.count }
}

extension PixelImage {
    /// The pixels inside `region`, as a new image (filters then stop at the region's edge, like cropping an array
    /// before resizing it).
    /// - Throws: ``DataError/invalidArgument(message:)`` when the region is empty or outside the image.
    public func cropped(to region: CropRegion) throws -> PixelImage {
        guard region.isInside(width: width, height: height) else {
            throw DataError.invalidArgument(message: "crop \(region) lies outside the \(width)×\(height) image")
        }
        var result = [UInt8](repeating: 0, count: region.width * region.height * channels)
        let rowBytes = region.width * channels
        for row in 0..<region.height {
            let source = ((region.y + row) * width + region.x) * channels
            result.replaceSubrange((row * rowBytes)..<((row + 1) * rowBytes), with: pixels[source..<(source + rowBytes)])
        }
        return try PixelImage(width: region.width, height: region.height, channels: channels, pixels: result)
    }
}
