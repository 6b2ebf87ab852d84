import Foundation
import TuneCore
@testable import TuneData
import TuneFormats

/// A PNG file assembled chunk by chunk (zlib for `IDAT`, zlib's `crc32` for the checksums), for the variants
/// libpng's simplified writer cannot produce: no colour chunks at all, chosen `gAMA` values, sub-byte depths,
/// 16-bit samples that are not linear light, Adam7 interlacing, damaged or missing chunks.
struct CraftedPNG {
    /// PNG colour types.
    enum ColorType: UInt8 {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

        var samplesPerPixel: Int {
            switch self {
            case .gray, .palette: return 1
            case .grayAlpha: return 2
            case .rgb: return 3
            case .rgba: return 4
            }
        }
    }

    var width: Int
    var height: Int
    var bitDepth: Int = 8
    var colorType: ColorType
    /// The image rows without filter bytes: packed samples, 16-bit ones big-endian, each row padded to a byte.
    var rows: [UInt8]
    /// `PLTE` contents (RGB triples), written when non-empty.
    var palette: [UInt8] = []
    /// `tRNS` contents, written when set.
    var transparency: [UInt8]?
    /// The `gAMA` value (gamma × 100000), written when set.
    var gamma: UInt32?
    /// Write an `sRGB` chunk (perceptual intent).
    var standardRGB = false
    /// Adam7 interlacing (only for bit depths of 8 or 16).
    var interlaced = false
    /// An ancillary `tEXt` chunk whose CRC is wrong, written before `IDAT`.
    var damagedTextChunk = false
    /// Leave out the final `IEND` chunk.
    var omitEnd = false

    var bytesPerRow: Int { (width * colorType.samplesPerPixel * bitDepth + 7) / 8 }

    /// The file.
    func encoded() throws -> [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = Self.bigEndian(UInt32(width)) + Self.bigEndian(UInt32(height))
        header += [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        Self.appendChunk("IHDR", header, to: &file)
        if standardRGB { Self.appendChunk("sRGB", [0], to: &file) }
        if let gamma { Self.appendChunk("gAMA", Self.bigEndian(gamma), to: &file) }
        if damagedTextChunk { Self.appendChunk("tEXt", Array("Comment\0damaged".utf8), to: &file, damaged: true) }
        if !palette.isEmpty { Self.appendChunk("PLTE", palette, to: &file) }
        if let transparency { Self.appendChunk("tRNS", transparency, to: &file) }
        Self.appendChunk("IDAT", try Self.deflate(filteredData()), to: &file)
        if !omitEnd { Self.appendChunk("IEND", [], to: &file) }
        return file
    }

    /// The scanlines as stored before compression: each row prefixed with filter type 0 (none), pass by pass
    /// when interlaced.
    private func filteredData() throws -> [UInt8] {
        precondition(rows.count == bytesPerRow * height, "rows hold \(rows.count) bytes, need \(bytesPerRow * height)")
        var data: [UInt8] = []
        guard interlaced else {
            for row in 0..<height {
                data.append(0)
                data += rows[(row * bytesPerRow)..<((row + 1) * bytesPerRow)]
            }
            return data
        }
        precondition(bitDepth >= 8, "interlacing is only crafted for whole-byte pixels")
        let pixelBytes = colorType.samplesPerPixel * bitDepth / 8
        let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        for (x0, y0, dx, dy) in passes {
            guard x0 < width, y0 < height else { continue } // empty passes are left out
            for y in stride(from: y0, to: height, by: dy) {
                data.append(0)
                for x in stride(from: x0, to: width, by: dx) {
                    let start = y * bytesPerRow + x * pixelBytes
                    data += rows[start..<(start + pixelBytes)]
                }
            }
        }
        return data
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8], damaged: Bool = false) {
        let typed = Array(type.utf8) + data
        let crc = typed.withUnsafeBytes { Zlib.crc32($0) }
        file += bigEndian(UInt32(data.count)) + typed + bigEndian(damaged ? ~crc : crc)
    }

    static func deflate(_ data: [UInt8]) throws -> [UInt8] {
        try Zlib.compress(data, container: .zlib)
    }
}

/// libpng's simplified-API format flags (`PNG_FORMAT_FLAG_…`), spelled out so the tests need not import libpng.
enum PNGFormat {
    static let alpha: UInt32 = 0x01
    static let color: UInt32 = 0x02
    static let linear: UInt32 = 0x04
    static let colormap: UInt32 = 0x08
}

/// Writes 8-bit `samples` (or colour-map indices) through libpng's simplified writer.
func simplifiedPNG(width: Int, height: Int, format: UInt32, samples: [UInt8], colormap: [UInt8] = []) throws -> [UInt8] {
    try samples.withUnsafeBytes { try PNG.write(width: width, height: height, format: format, samples: $0, colormap: colormap) }
}

/// Writes native-endian 16-bit linear `samples` through libpng's simplified writer (`PNGFormat.linear` formats).
func simplifiedPNG(width: Int, height: Int, format: UInt32, samples: [UInt16]) throws -> [UInt8] {
    try samples.withUnsafeBytes { try PNG.write(width: width, height: height, format: format, samples: $0) }
}

/// Big-endian 16-bit samples, as PNG rows hold them.
func bigEndian16(_ values: [Int]) -> [UInt8] {
    values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
}

/// A deterministic random image.
func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) throws -> PixelImage {
    var generator = SeededGenerator(seed: seed)
    let pixels = (0..<(width * height * channels)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return try PixelImage(width: width, height: height, channels: channels, pixels: pixels)
}

/// A smooth image (gradients), which JPEG reproduces closely.
func smoothImage(width: Int, height: Int, channels: Int) throws -> PixelImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
        for x in 0..<width {
            for channel in 0..<channels {
                let value = 30 + (x * 150) / width + (y * 60) / height + channel * 20
                pixels.append(UInt8(min(value, 255)))
            }
        }
    }
    return try PixelImage(width: width, height: height, channels: channels, pixels: pixels)
}

/// The largest and the mean absolute difference between two same-sized images.
func difference(_ a: PixelImage, _ b: PixelImage) -> (maximum: Int, mean: Double) {
    precondition(a.pixels.count == b.pixels.count)
    var maximum = 0, total = 0
    for (x, y) in zip(a.pixels, b.pixels) {
        let delta = abs(Int(x) - Int(y))
        maximum = max(maximum, delta)
        total += delta
    }
    return (maximum, Double(total) / Double(max(a.pixels.count, 1)))
}

/// The ``DataError`` `body` throws, or `nil` when it throws nothing (or something else).
func dataError(_ body: () throws -> Void) -> DataError? {
    do {
        try body()
        return nil
    } catch let error as DataError {
        return error
    } catch {
        return nil
    }
}

/// The path and reason of an ``DataError/unreadableImage(path:reason:)``, or `nil` for any other outcome.
func unreadableImage(_ body: () throws -> Void) -> (path: String, reason: String)? {
    if case let .unreadableImage(path, reason)? = dataError(body) { return (path, reason) }
    return nil
}
