/// A rectangle of whole source pixels: columns `x ..< x + width`, rows `y ..< y + height`.
public struct CropRegion: Sendable, Equatable, CustomStringConvertible {
    /// The first column.
    public var x: Int
    /// The first row.
    public var y: Int
    /// Columns; positive.
    public var width: Int
    /// Rows; positive.
    public var height: Int

    /// The region of `width`×`height` pixels whose top-left pixel is column `x`, row `y`.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The whole of a `width`×`height` image.
    public static func full(width: Int, height: Int) -> CropRegion {
        CropRegion(x: 0, y: 0, width: width, height: height)
    }

    /// The largest centred region of a `width`×`height` image whose aspect ratio is `targetWidth : targetHeight`
    /// (rounded to whole pixels, at least 1×1; the offset is rounded down, like Keras's `crop_to_aspect_ratio`).
    public static func centered(width: Int, height: Int, targetWidth: Int, targetHeight: Int) -> CropRegion {
        var cropWidth = width, cropHeight = height
        if width * targetHeight > height * targetWidth {
            // Wider than the target: keep the full height.
            let exact = Double(height) * Double(targetWidth) / Double(targetHeight)
            cropWidth = min(width, max(1, Int(exact.rounded())))
        } else if width * targetHeight < height * targetWidth {
            let exact = Double(width) * Double(targetHeight) / Double(targetWidth)
            cropHeight = min(height, max(1, Int(exact.rounded())))
        }
        return CropRegion(x: (width - cropWidth) / 2, y: (height - cropHeight) / 2, width: cropWidth, height: cropHeight)
    }

    /// Whether the region is non-empty and lies inside a `width`×`height` image.
    public func isInside(width: Int, height: Int) -> Bool {
        self.width > 0 && self.height > 0 && x >= 0 && y >= 0 && x <= width - self.width && y <= height - self.height
    }

    public var description: String { "\(width)×\(height) at (\(x), \(y))" }
}
