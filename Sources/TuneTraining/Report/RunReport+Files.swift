import Foundation
import TuneData
import TuneFormats

extension RunReport {
    /// Writes html() atomically: a temporary file in the same directory, `fsync`, then a rename over `path`, so a
    /// reader never sees a partial report (TuneFormats' `writeFileAtomically`); the directory is then `fsync`ed,
    /// best effort, so the rename survives a crash too.
    ///
    /// - Throws: `FormatError.writeFailed(path:message:)` naming the system error; the temporary file is removed
    ///   and an earlier report at `path` is left as it was.
    public func write(to path: String) throws {
        try writeFileAtomically(Array(html().utf8), to: path)
        ModelCheckpoint.syncDirectory(of: path)
    }

    /// A PNG thumbnail (longest side `side` pixels, aspect kept) of an image file, for ``Mistake/thumbnailPNG``.
    ///
    /// Shrinking averages the source pixels each thumbnail pixel covers; enlarging interpolates bilinearly.
    /// - Throws: ``ReportError/invalidArgument(name:message:)`` for a side below 1, and the `DataError`s of
    ///   `ImageCodec.decode(contentsOf:)` for a missing or unreadable image.
    public static func thumbnail(ofImageAt path: String, side: Int = 96) throws -> [UInt8] {
        guard side >= 1, side <= 4096 else {
            throw ReportError.invalidArgument(name: "side", message: "\(side) is not in 1…4096")
        }
        let image = try ImageCodec.decode(contentsOf: path)
        let scale = Double(side) / Double(max(image.width, image.height))
        let width = max(1, Int((Double(image.width) * scale).rounded()))
        let height = max(1, Int((Double(image.height) * scale).rounded()))
        return try ImageCodec.encodePNG(resized(image, width: width, height: height))
    }

    /// `image` resampled to `width × height`.
    static func resized(_ image: PixelImage, width: Int, height: Int) throws -> PixelImage {
        if width == image.width && height == image.height { return image }
        let channels = image.channels
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let xScale = Double(image.width) / Double(width), yScale = Double(image.height) / Double(height)
        image.pixels.withUnsafeBufferPointer { source in
            for y in 0..<height {
                for x in 0..<width {
                    for c in 0..<channels {
                        let value = xScale >= 1 && yScale >= 1
                            ? areaAverage(source, image, x0: Double(x) * xScale, x1: Double(x + 1) * xScale,
                                          y0: Double(y) * yScale, y1: Double(y + 1) * yScale, channel: c)
                            : bilinear(source, image, x: (Double(x) + 0.5) * xScale - 0.5,
                                       y: (Double(y) + 0.5) * yScale - 0.5, channel: c)
                        pixels[(y * width + x) * channels + c] = UInt8(max(0, min(255, value.rounded())))
                    }
                }
            }
        }
        return try PixelImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// The mean of the source pixels under the rectangle `[x0, x1) × [y0, y1)`, weighting partly covered pixels by
    /// the area covered.
    private static func areaAverage(_ source: UnsafeBufferPointer<UInt8>, _ image: PixelImage,
                                    x0: Double, x1: Double, y0: Double, y1: Double, channel: Int) -> Double {
        var sum = 0.0, weight = 0.0
        var sy = Int(y0)
        while Double(sy) < y1 && sy < image.height {
            let coverY = min(y1, Double(sy + 1)) - max(y0, Double(sy))
            var sx = Int(x0)
            while Double(sx) < x1 && sx < image.width {
                let coverage = coverY * (min(x1, Double(sx + 1)) - max(x0, Double(sx)))
                sum += coverage * Double(source[(sy * image.width + sx) * image.channels + channel])
                weight += coverage
                sx += 1
            }
            sy += 1
        }
        return weight > 0 ? sum / weight : 0
    }

    /// The source sampled at the fractional pixel position (`x`, `y`), clamped at the edges.
    private static func bilinear(_ source: UnsafeBufferPointer<UInt8>, _ image: PixelImage,
                                 x: Double, y: Double, channel: Int) -> Double {
        let cx = max(0, min(Double(image.width - 1), x)), cy = max(0, min(Double(image.height - 1), y))
        let left = Int(cx), top = Int(cy)
        let right = min(left + 1, image.width - 1), bottom = min(top + 1, image.height - 1)
        let fx = cx - Double(left), fy = cy - Double(top)
        func at(_ px: Int, _ py: Int) -> Double {
            Double(source[(py * image.width + px) * image.channels + channel])
        }
        let upper = at(left, top) * (1 - fx) + at(right, top) * fx
        let lower = at(left, bottom) * (1 - fx) + at(right, bottom) * fx
        return upper * (1 - fy) + lower * fy
    }
}
