import Testing
import TuneCore
@testable import TuneData

/// Deterministic fuzzing of the decoders: damaged input must give either a consistent image or a thrown
/// ``DataError``, never a crash, a hang or another error type.
@Suite struct ImageFuzzTests {
    /// What decoding one input did.
    enum Outcome: Equatable {
        case decoded(PixelImage)
        case refused
    }

    /// Decodes `bytes` (and reads their dimensions), recording an issue for anything but a consistent image or
    /// a ``DataError``.
    @discardableResult
    static func check(_ bytes: [UInt8], _ label: @autoclosure () -> String) -> Outcome {
        do {
            _ = try ImageCodec.dimensions(bytes, path: "fuzz")
        } catch is DataError {
        } catch {
            Issue.record("\(label()): dimensions threw a non-DataError \(error)")
        }
        do {
            let image = try ImageCodec.decode(bytes, path: "fuzz")
            let consistent = image.width > 0 && image.height > 0 && (image.channels == 1 || image.channels == 3)
                && image.pixels.count == image.width * image.height * image.channels
                && image.width * image.height <= ImageCodec.maximumPixelCount
            #expect(consistent, "\(label()): inconsistent image \(image.width)×\(image.height)×\(image.channels)")
            return .decoded(image)
        } catch let error as DataError {
            if case let .unreadableImage(path, _) = error {
                #expect(path == "fuzz", "\(label()): error names \(path)")
            } else {
                Issue.record("\(label()): unexpected DataError \(error)")
            }
            return .refused
        } catch {
            Issue.record("\(label()): decode threw a non-DataError \(error)")
            return .refused
        }
    }

    /// The valid inputs the fuzzing starts from, each under 2 KB so that every prefix can be tried.
    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        let rgb = try smoothImage(width: 12, height: 10, channels: 3)
        let gray = try randomImage(width: 9, height: 7, channels: 1, seed: 21)
        let noisy = try randomImage(width: 10, height: 8, channels: 3, seed: 22)
        let rgba16 = (0..<(6 * 5 * 4)).map { ($0 * 2_654_435_761) & 0xFFFF }
        let cmyk = (0..<(8 * 8 * 4)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let seeds = [
            ("png-rgb", try ImageCodec.encodePNG(rgb)),
            ("png-rgb-noisy", try ImageCodec.encodePNG(noisy)),
            ("png-gray-interlaced", try CraftedPNG(width: 9, height: 7, colorType: .gray, rows: gray.pixels,
                                                   gamma: 100_000, interlaced: true).encoded()),
            ("png-rgba16-interlaced", try CraftedPNG(width: 6, height: 5, bitDepth: 16, colorType: .rgba,
                                                     rows: bigEndian16(rgba16), standardRGB: true, interlaced: true).encoded()),
            ("png-palette-trns", try CraftedPNG(width: 7, height: 6, bitDepth: 4, colorType: .palette,
                                                rows: (0..<24).map { UInt8($0 * 37 % 256) & 0x77 },
                                                palette: (0..<24).map { UInt8($0 * 11) },
                                                transparency: [0, 128, 255]).encoded()),
            ("jpeg-rgb", try ImageCodec.encodeJPEG(rgb, quality: 75)),
            ("jpeg-gray", try ImageCodec.encodeJPEG(try smoothImage(width: 16, height: 16, channels: 1), quality: 75)),
            ("jpeg-cmyk", try cmyk.withUnsafeBytes {
                try JPEG.compress($0, width: 8, height: 8, layout: .cmyk, quality: 80, subsampling: .half)
            }),
        ]
        for (name, bytes) in seeds { precondition(bytes.count < 2048, "\(name) is \(bytes.count) bytes") }
        return seeds
    }

    @Test func everyTruncatedPrefixIsRefusedOrComplete() throws {
        for (name, bytes) in try Self.seeds() {
            let original = try ImageCodec.decode(bytes, path: name)
            let isPNG = name.hasPrefix("png")
            for length in 0..<bytes.count {
                let outcome = Self.check(Array(bytes[0..<length]), "\(name) prefix \(length)/\(bytes.count)")
                // A JPEG needs every byte up to its EOI marker; a PNG may lose no more than its final IEND chunk,
                // and then decodes completely.
                if case let .decoded(image) = outcome {
                    #expect(isPNG && length >= bytes.count - 12, "\(name): a \(length)-byte prefix decoded")
                    #expect(image == original, "\(name): a \(length)-byte prefix decoded differently")
                }
            }
        }
    }

    @Test func randomSingleByteCorruptionsNeverCrash() throws {
        var generator = SeededGenerator(seed: 0xC0DEC)
        for (name, bytes) in try Self.seeds() {
            for trial in 0..<300 {
                var damaged = bytes
                let index = Int.random(in: 0..<damaged.count, using: &generator)
                damaged[index] ^= UInt8.random(in: 1...255, using: &generator)
                Self.check(damaged, "\(name) corruption \(trial) at \(index)")
            }
        }
    }

    @Test func randomByteStringsNeverCrash() throws {
        var generator = SeededGenerator(seed: 0xF022)
        let pngStart = ImageFormat.pngSignature + [0, 0, 0, 13] + Array("IHDR".utf8)
        let prefixes: [[UInt8]] = [[], ImageFormat.jpegSignature, ImageFormat.pngSignature, pngStart,
                                   ImageFormat.jpegSignature + [0xE0, 0x00, 0x10]]
        for trial in 0..<300 {
            let prefix = prefixes[trial % prefixes.count]
            let count = Int.random(in: 0..<600, using: &generator)
            let bytes = prefix + (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            Self.check(bytes, "random string \(trial) (\(bytes.count) bytes)")
        }
    }
}
