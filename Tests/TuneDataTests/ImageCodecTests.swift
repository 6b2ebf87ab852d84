import Foundation
import Synchronization
import Testing
import TuneCore
@testable import TuneData
import TuneFormats

@Suite struct ImageCodecTests {
    // MARK: PNG

    @Test func pngRoundTripsGrayAndRGB() throws {
        for channels in [1, 3] {
            let image = try randomImage(width: 37, height: 23, channels: channels, seed: UInt64(channels))
            let encoded = try ImageCodec.encodePNG(image)
            #expect(encoded.withUnsafeBytes { ImageFormat.detect($0) } == .png)
            #expect(try ImageCodec.decode(encoded, path: "round.png") == image)
            let size = try ImageCodec.dimensions(encoded, path: "round.png")
            #expect(size.width == 37 && size.height == 23 && size.channels == channels)
        }
    }

    @Test func pngOnePixelRoundTrips() throws {
        let image = try PixelImage(width: 1, height: 1, channels: 3, pixels: [1, 2, 3])
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image), path: "dot.png") == image)
    }

    @Test func pngGrayAlphaDropsAlphaKeepingStoredGray() throws {
        // Gray, alpha pairs, including fully transparent pixels whose gray must survive (no compositing).
        let samples: [UInt8] = [200, 0, 200, 128, 200, 255, 7, 1, 0, 0, 255, 0]
        let file = try simplifiedPNG(width: 3, height: 2, format: PNGFormat.alpha, samples: samples)
        let image = try ImageCodec.decode(file, path: "ga.png")
        #expect(image.channels == 1)
        #expect(image.pixels == [200, 200, 200, 7, 0, 255])
        #expect(try ImageCodec.dimensions(file, path: "ga.png").channels == 1)
    }

    @Test func pngRGBADropsAlphaKeepingStoredColour() throws {
        let samples: [UInt8] = [200, 100, 50, 0, 200, 100, 50, 128, 200, 100, 50, 255, 10, 20, 30, 1]
        let file = try simplifiedPNG(width: 2, height: 2, format: PNGFormat.color | PNGFormat.alpha, samples: samples)
        let image = try ImageCodec.decode(file, path: "rgba.png")
        #expect(image.channels == 3)
        #expect(image.pixels == [200, 100, 50, 200, 100, 50, 200, 100, 50, 10, 20, 30])
    }

    @Test func pngPaletteDecodesToRGB() throws {
        let colormap: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 12, 34, 56]
        let indices: [UInt8] = [0, 1, 2, 3, 3, 2]
        let file = try simplifiedPNG(width: 3, height: 2, format: PNGFormat.color | PNGFormat.colormap,
                                     samples: indices, colormap: colormap)
        let image = try ImageCodec.decode(file, path: "palette.png")
        #expect(image.channels == 3)
        #expect(image.pixels == indices.flatMap { Array(colormap[(3 * Int($0))..<(3 * Int($0) + 3)]) })
    }

    @Test func pngPaletteWithTransparencyDropsAlpha() throws {
        // RGBA colour-map entries: libpng writes PLTE plus tRNS.
        let colormap: [UInt8] = [255, 0, 0, 0, 0, 255, 0, 128, 9, 8, 7, 255]
        let indices: [UInt8] = [0, 1, 2, 2]
        let file = try simplifiedPNG(width: 2, height: 2, format: PNGFormat.color | PNGFormat.alpha | PNGFormat.colormap,
                                     samples: indices, colormap: colormap)
        let image = try ImageCodec.decode(file, path: "trns.png")
        #expect(image.channels == 3)
        #expect(image.pixels == [255, 0, 0, 0, 255, 0, 9, 8, 7, 9, 8, 7])
    }

    @Test func pngGrayPaletteStillDecodesToRGB() throws {
        let file = try CraftedPNG(width: 2, height: 1, colorType: .palette, rows: [0, 1], palette: [10, 10, 10, 99, 99, 99])
            .encoded()
        let image = try ImageCodec.decode(file, path: "graypalette.png")
        #expect(image.channels == 3 && image.pixels == [10, 10, 10, 99, 99, 99])
    }

    @Test func pngGrayWithTransparentValueDropsAlpha() throws {
        let file = try CraftedPNG(width: 3, height: 1, colorType: .gray, rows: [0, 5, 255], transparency: [0, 5])
            .encoded()
        let image = try ImageCodec.decode(file, path: "graytrns.png")
        #expect(image.channels == 1 && image.pixels == [0, 5, 255])
    }

    /// 16-bit samples v·257 (no colour chunks, as PIL and OpenCV write them) decode to exactly v.
    @Test func png16BitGrayDecodesToEightBitsExactly() throws {
        let values = Array(0...255)
        let rows = values.flatMap { CraftedPNG.bigEndian(UInt32($0 * 257)).suffix(2) }
        let file = try CraftedPNG(width: 16, height: 16, bitDepth: 16, colorType: .gray, rows: rows).encoded()
        let image = try ImageCodec.decode(file, path: "gray16.png")
        #expect(image.channels == 1)
        #expect(image.pixels == values.map { UInt8($0) })
    }

    @Test func png16BitRGBDecodesToEightBitsExactly() throws {
        let values = (0..<48).map { ($0 * 53) % 256 }
        let rows = values.flatMap { CraftedPNG.bigEndian(UInt32($0 * 257)).suffix(2) }
        let file = try CraftedPNG(width: 4, height: 4, bitDepth: 16, colorType: .rgb, rows: rows).encoded()
        let image = try ImageCodec.decode(file, path: "rgb16.png")
        #expect(image.channels == 3)
        #expect(image.pixels == values.map { UInt8($0) })
    }

    /// Every 16-bit value is scaled with rounding, round(v · 255 / 65535), interlaced or not.
    @Test func png16BitSamplesAreRoundedNotTruncated() throws {
        let values = Array(0...65535)
        let expected = values.map { UInt8((Double($0) * 255 / 65535).rounded()) }
        #expect(expected[255] == 1 && expected[0x80FF] == 128, "rounding, where PIL's v >> 8 gives 0 and 128")
        for interlaced in [false, true] {
            let file = try CraftedPNG(width: 256, height: 256, bitDepth: 16, colorType: .gray, rows: bigEndian16(values),
                                      interlaced: interlaced).encoded()
            let image = try ImageCodec.decode(file, path: "all16.png")
            #expect(image.pixels == expected, "interlaced: \(interlaced)")
        }
    }

    /// Colour chunks declaring sRGB or a gamma do not change how 16-bit samples are reduced.
    @Test func png16BitIgnoresColourChunks() throws {
        let values = (0..<48).map { ($0 * 53) % 256 }
        for interlaced in [false, true] {
            for (srgb, gamma) in [(true, nil), (false, 100_000), (true, 45_455)] as [(Bool, UInt32?)] {
                let file = try CraftedPNG(width: 4, height: 4, bitDepth: 16, colorType: .rgb,
                                          rows: bigEndian16(values.map { $0 * 257 }), gamma: gamma, standardRGB: srgb,
                                          interlaced: interlaced).encoded()
                #expect(try ImageCodec.decode(file, path: "rgb16.png").pixels == values.map { UInt8($0) },
                        "sRGB \(srgb), gAMA \(gamma.map(String.init) ?? "none"), interlaced \(interlaced)")
            }
        }
    }

    /// libpng premultiplies 16-bit interlaced colours by alpha (see `PNG`): opaque pixels stay exact, translucent
    /// ones within one step, transparent ones become black.
    @Test func png16BitInterlacedWithAlphaIsUnpremultiplied() throws {
        let rgba = [200, 100, 50, 255, 10, 20, 30, 128, 1, 2, 3, 0, 250, 128, 7, 3, 77, 88, 99, 65535 / 257]
        let file = try CraftedPNG(width: 5, height: 1, bitDepth: 16, colorType: .rgba,
                                  rows: bigEndian16(rgba.map { $0 * 257 }), interlaced: true).encoded()
        let image = try ImageCodec.decode(file, path: "rgba16i.png")
        #expect(image.channels == 3)
        let expected = [200, 100, 50, 10, 20, 30, 0, 0, 0, 250, 128, 7, 77, 88, 99]
        let exact = [0, 1, 2, 6, 7, 8, 12, 13, 14] // opaque and transparent pixels
        for (index, value) in expected.enumerated() {
            let slack = exact.contains(index) ? 0 : (index < 9 ? 1 : 2)
            #expect(abs(Int(image.pixels[index]) - value) <= slack, "sample \(index): \(image.pixels[index]) vs \(value)")
        }
        let grayAlpha = try CraftedPNG(width: 3, height: 2, bitDepth: 16, colorType: .grayAlpha,
                                       rows: bigEndian16([9, 255, 200, 255, 7, 0, 1, 255, 2, 255, 3, 255].map { $0 * 257 }),
                                       interlaced: true).encoded()
        #expect(try ImageCodec.decode(grayAlpha, path: "ga16i.png").pixels == [9, 200, 0, 1, 2, 3])
    }

    @Test func png16BitRGBAAndGrayAlphaDropAlpha() throws {
        let rgba: [UInt32] = [200, 100, 50, 0, 10, 20, 30, 128, 1, 2, 3, 255]
        let rgbaFile = try CraftedPNG(width: 3, height: 1, bitDepth: 16, colorType: .rgba,
                                      rows: rgba.flatMap { CraftedPNG.bigEndian($0 * 257).suffix(2) }).encoded()
        #expect(try ImageCodec.decode(rgbaFile, path: "rgba16.png").pixels == [200, 100, 50, 10, 20, 30, 1, 2, 3])
        let grayAlpha: [UInt32] = [200, 0, 7, 77]
        let grayAlphaFile = try CraftedPNG(width: 2, height: 1, bitDepth: 16, colorType: .grayAlpha,
                                           rows: grayAlpha.flatMap { CraftedPNG.bigEndian($0 * 257).suffix(2) }).encoded()
        let image = try ImageCodec.decode(grayAlphaFile, path: "ga16.png")
        #expect(image.channels == 1 && image.pixels == [200, 7])
    }

    /// libpng's simplified writer stores 16-bit data as linear light (`gAMA` 1.0); the stored values are
    /// scaled to 8 bits all the same, with no gamma conversion.
    @Test func png16BitLinearFileIsScaledWithoutGammaConversion() throws {
        let values: [UInt16] = [0, 257, 128 * 257, 200 * 257, 65535, 1000]
        let file = try simplifiedPNG(width: 3, height: 2, format: PNGFormat.linear, samples: values)
        #expect(file.withUnsafeBytes { PNG.removingColourChunks($0) } != nil, "the writer records gAMA")
        let image = try ImageCodec.decode(file, path: "linear16.png")
        #expect(image.pixels == [0, 1, 128, 200, 255, 4])
        let rgb = try simplifiedPNG(width: 1, height: 1, format: PNGFormat.linear | PNGFormat.color,
                                    samples: [UInt16(10 * 257), 20 * 257, 30 * 257])
        #expect(try ImageCodec.decode(rgb, path: "linear16rgb.png").pixels == [10, 20, 30])
    }

    /// A `gAMA` chunk does not change the decoded values (libpng alone would convert gamma 1.0 to sRGB).
    @Test func pngGammaChunkIsIgnored() throws {
        let rows: [UInt8] = [0, 1, 64, 128, 200, 255]
        for gamma: UInt32 in [100_000, 55_555, 45_455] {
            let gray = try CraftedPNG(width: 6, height: 1, colorType: .gray, rows: rows, gamma: gamma).encoded()
            #expect(try ImageCodec.decode(gray, path: "gamma.png").pixels == rows)
            let rgb = try CraftedPNG(width: 2, height: 1, colorType: .rgb, rows: rows, gamma: gamma).encoded()
            #expect(try ImageCodec.decode(rgb, path: "gamma.png").pixels == rows)
        }
    }

    @Test func pngSubByteGrayIsScaledToFullRange() throws {
        let oneBit = try CraftedPNG(width: 10, height: 1, bitDepth: 1, colorType: .gray, rows: [0b1010_0000, 0b0100_0000])
            .encoded()
        #expect(try ImageCodec.decode(oneBit, path: "1bit.png").pixels == [255, 0, 255, 0, 0, 0, 0, 0, 0, 255])
        let twoBit = try CraftedPNG(width: 4, height: 1, bitDepth: 2, colorType: .gray, rows: [0b00_01_10_11]).encoded()
        #expect(try ImageCodec.decode(twoBit, path: "2bit.png").pixels == [0, 85, 170, 255])
        let fourBit = try CraftedPNG(width: 2, height: 1, bitDepth: 4, colorType: .gray, rows: [0x3F]).encoded()
        #expect(try ImageCodec.decode(fourBit, path: "4bit.png").pixels == [51, 255])
    }

    @Test func pngInterlacedDecodes() throws {
        for (channels, colorType) in [(1, CraftedPNG.ColorType.gray), (3, .rgb)] {
            for (width, height) in [(13, 11), (1, 1), (3, 9), (8, 8)] {
                let image = try randomImage(width: width, height: height, channels: channels, seed: UInt64(width * height))
                let file = try CraftedPNG(width: width, height: height, colorType: colorType, rows: image.pixels,
                                          interlaced: true).encoded()
                #expect(try ImageCodec.decode(file, path: "adam7.png") == image, "\(width)×\(height)×\(channels)")
            }
        }
        let values = (0..<30).map { $0 * 8 }
        let file = try CraftedPNG(width: 5, height: 6, bitDepth: 16, colorType: .gray, rows: bigEndian16(values.map { $0 * 257 }),
                                  interlaced: true).encoded()
        #expect(try ImageCodec.decode(file, path: "adam7-16.png").pixels == values.map { UInt8($0) })
        let palette = try CraftedPNG(width: 3, height: 3, colorType: .palette, rows: [0, 1, 2, 2, 1, 0, 1, 1, 1],
                                     palette: [1, 2, 3, 4, 5, 6, 7, 8, 9], interlaced: true).encoded()
        #expect(try ImageCodec.decode(palette, path: "adam7-palette.png").pixels
            == [1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 8, 9, 4, 5, 6, 1, 2, 3, 4, 5, 6, 4, 5, 6, 4, 5, 6])
    }

    @Test func pngDamagedAncillaryChunkOnlyWarns() throws {
        let file = try CraftedPNG(width: 2, height: 1, colorType: .gray, rows: [3, 4], damagedTextChunk: true).encoded()
        #expect(try ImageCodec.decode(file, path: "text.png").pixels == [3, 4])
    }

    /// Every pixel is present when only `IEND` is missing, so the image decodes (as in PIL).
    @Test func pngMissingEndChunkStillDecodes() throws {
        let file = try CraftedPNG(width: 2, height: 2, colorType: .gray, rows: [1, 2, 3, 4], omitEnd: true).encoded()
        #expect(try ImageCodec.decode(file, path: "noend.png").pixels == [1, 2, 3, 4])
    }

    // MARK: JPEG

    @Test func jpegRoundTripsGrayWithinTolerance() throws {
        let image = try smoothImage(width: 40, height: 30, channels: 1)
        let encoded = try ImageCodec.encodeJPEG(image, quality: 95)
        #expect(encoded.withUnsafeBytes { ImageFormat.detect($0) } == .jpeg)
        let decoded = try ImageCodec.decode(encoded, path: "gray.jpg")
        #expect(decoded.width == 40 && decoded.height == 30 && decoded.channels == 1)
        let delta = difference(image, decoded)
        #expect(delta.maximum <= 4 && delta.mean <= 1, "\(delta)")
        let size = try ImageCodec.dimensions(encoded, path: "gray.jpg")
        #expect(size.width == 40 && size.height == 30 && size.channels == 1)
    }

    @Test func jpegRoundTripsRGBWithinToleranceForEverySubsampling() throws {
        let image = try smoothImage(width: 33, height: 17, channels: 3)
        var sizes: [ChromaSubsampling: Int] = [:]
        for subsampling in ChromaSubsampling.allCases {
            let encoded = try ImageCodec.encodeJPEG(image, quality: 95, subsampling: subsampling)
            sizes[subsampling] = encoded.count
            let decoded = try ImageCodec.decode(encoded, path: "rgb.jpg")
            #expect(decoded.width == 33 && decoded.height == 17 && decoded.channels == 3)
            let delta = difference(image, decoded)
            #expect(delta.maximum <= 8 && delta.mean <= 2, "\(subsampling): \(delta)")
            #expect(try ImageCodec.dimensions(encoded, path: "rgb.jpg").channels == 3)
        }
        #expect(sizes[.none, default: 0] > sizes[.quarter, default: 0])
    }

    @Test func jpegDefaultQualityIsNinety() throws {
        let image = try randomImage(width: 16, height: 16, channels: 3, seed: 9)
        #expect(try ImageCodec.encodeJPEG(image) == ImageCodec.encodeJPEG(image, quality: 90, subsampling: .quarter))
        #expect(try ImageCodec.encodeJPEG(image, quality: 10).count < ImageCodec.encodeJPEG(image, quality: 100).count)
    }

    @Test func jpegRefusesQualityOutsideRange() throws {
        let image = try randomImage(width: 4, height: 4, channels: 1, seed: 1)
        for quality in [0, 101, -5] {
            guard case .invalidArgument? = dataError({ _ = try ImageCodec.encodeJPEG(image, quality: quality) }) else {
                Issue.record("quality \(quality) was accepted")
                continue
            }
        }
    }

    @Test func jpegCMYKConvertsToRGBAsPIL() throws {
        // Adobe convention: stored samples are inverted inks. Stored (200, 100, 50, 220): inks C 55, M 155, Y 205,
        // K 35; R = 220 − 55·220/255 ≈ 173, G = 220 − 155·220/255 ≈ 86, B = 220 − 205·220/255 ≈ 43.
        let samples = [UInt8](repeating: 0, count: 16 * 16 * 4).enumerated().map { index, _ -> UInt8 in
            [200, 100, 50, 220][index % 4]
        }
        let file = try samples.withUnsafeBytes {
            try JPEG.compress($0, width: 16, height: 16, layout: .cmyk, quality: 100, subsampling: .none)
        }
        let size = try ImageCodec.dimensions(file, path: "cmyk.jpg")
        #expect(size.channels == 3)
        let image = try ImageCodec.decode(file, path: "cmyk.jpg")
        #expect(image.channels == 3 && image.width == 16 && image.height == 16)
        let expected = try PixelImage(width: 16, height: 16, channels: 3,
                                      pixels: Array([[UInt8]](repeating: [173, 86, 43], count: 256).joined()))
        #expect(difference(image, expected).maximum <= 2)
    }

    @Test func cmykConversionMatchesPILFormula() {
        let stored: [UInt8] = [255, 255, 255, 255, /* no ink: white */ 0, 0, 0, 255, /* full C, M, Y */
                               0, 0, 0, 0, /* full everything */ 128, 255, 0, 128]
        #expect(JPEG.rgb(fromAdobeCMYK: stored, pixelCount: 4) == [255, 255, 255, 0, 0, 0, 0, 0, 0, 64, 128, 0])
    }

    // MARK: Detection, dimensions, files

    @Test func formatDetectionUsesBytesNotExtension() throws {
        let directory = try TemporaryDirectory()
        let gray = try randomImage(width: 5, height: 4, channels: 1, seed: 3)
        let pngNamedJPEG = try directory.write("really-a-png.jpg", ImageCodec.encodePNG(gray))
        #expect(try ImageCodec.decode(contentsOf: pngNamedJPEG) == gray)
        let jpegNamedPNG = try directory.write("really-a-jpeg.png", ImageCodec.encodeJPEG(gray, quality: 100))
        let decoded = try ImageCodec.decode(contentsOf: jpegNamedPNG)
        #expect(decoded.width == 5 && decoded.height == 4 && decoded.channels == 1)
        let noExtension = try directory.write("image", ImageCodec.encodePNG(gray))
        #expect(try ImageCodec.decode(contentsOf: noExtension) == gray)
    }

    @Test func detectRecognizesSignaturesOnly() {
        func detect(_ bytes: [UInt8]) -> ImageFormat? { bytes.withUnsafeBytes { ImageFormat.detect($0) } }
        #expect(detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(detect([0xFF, 0xD8, 0xFF]) == .jpeg)
        #expect(detect([0xFF, 0xD8]) == nil)
        #expect(detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A]) == nil)
        #expect(detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x0A, 0x0A]) == nil)
        #expect(detect(Array("GIF89a".utf8)) == nil)
        #expect(detect([]) == nil)
    }

    @Test func extensionsMapToFormats() {
        #expect(ImageFormat.fromExtension("jpg") == .jpeg)
        #expect(ImageFormat.fromExtension("JPEG") == .jpeg)
        #expect(ImageFormat.fromExtension("Png") == .png)
        #expect(ImageFormat.fromExtension(".png") == .png)
        for other in ["jpe", "jfif", "gif", "bmp", "", "pngx", "txt"] {
            #expect(ImageFormat.fromExtension(other) == nil, "\(other)")
        }
        #expect(ImageFormat.allCases.map(\.rawValue) == ["jpeg", "png"])
    }

    /// `dimensions` reads headers only: it answers for files whose image data is damaged and for images too
    /// large to decode.
    @Test func dimensionsReadTheHeaderOnly() throws {
        var png = try ImageCodec.encodePNG(try randomImage(width: 30, height: 20, channels: 3, seed: 4))
        png.removeLast(40) // cut into IDAT
        let pngSize = try ImageCodec.dimensions(png, path: "cut.png")
        #expect(pngSize.width == 30 && pngSize.height == 20 && pngSize.channels == 3)
        #expect(unreadableImage { _ = try ImageCodec.decode(png, path: "cut.png") }?.path == "cut.png")

        var jpeg = try ImageCodec.encodeJPEG(try smoothImage(width: 64, height: 48, channels: 1))
        jpeg.removeLast(jpeg.count / 3)
        let jpegSize = try ImageCodec.dimensions(jpeg, path: "cut.jpg")
        #expect(jpegSize.width == 64 && jpegSize.height == 48 && jpegSize.channels == 1)
        #expect(unreadableImage { _ = try ImageCodec.decode(jpeg, path: "cut.jpg") }?.path == "cut.jpg")
    }

    // MARK: Errors

    @Test func emptyAndUnrecognizedBytesAreUnreadable() throws {
        #expect(dataError { _ = try ImageCodec.decode([], path: "empty.png") }
            == .unreadableImage(path: "empty.png", reason: "empty file"))
        #expect(dataError { _ = try ImageCodec.dimensions([], path: "empty.png") }
            == .unreadableImage(path: "empty.png", reason: "empty file"))
        var generator = SeededGenerator(seed: 77)
        let noise = (0..<500).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(dataError { _ = try ImageCodec.decode(noise, path: "noise.jpg") }
            == .unreadableImage(path: "noise.jpg", reason: "not a JPEG or PNG file"))
        #expect(dataError { _ = try ImageCodec.dimensions(noise, path: "noise.jpg") }
            == .unreadableImage(path: "noise.jpg", reason: "not a JPEG or PNG file"))
    }

    @Test func textFileNamedPNGIsUnreadable() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("notes.png", Array("just some text\n".utf8))
        #expect(dataError { _ = try ImageCodec.decode(contentsOf: path) }
            == .unreadableImage(path: path, reason: "not a JPEG or PNG file"))
        let empty = try directory.write("empty.jpg", [])
        #expect(dataError { _ = try ImageCodec.decode(contentsOf: empty) }
            == .unreadableImage(path: empty, reason: "empty file"))
    }

    @Test func truncatedJPEGIsAnErrorNotAGrayPaddedImage() throws {
        let jpeg = try ImageCodec.encodeJPEG(try smoothImage(width: 48, height: 40, channels: 3), quality: 90)
        for cut in [1, 2, 10, jpeg.count / 2] {
            let prefix = Array(jpeg.dropLast(cut))
            let failure = unreadableImage { _ = try ImageCodec.decode(prefix, path: "cut.jpg") }
            #expect(failure?.path == "cut.jpg", "cutting \(cut) bytes")
            if cut <= 10 { #expect(failure?.reason.contains("Premature end of JPEG file") == true, "\(failure?.reason ?? "")") }
        }
        let directory = try TemporaryDirectory()
        let path = try directory.write("cut.jpg", Array(jpeg.dropLast(100)))
        #expect(unreadableImage { _ = try ImageCodec.decode(contentsOf: path) }?.path == path)
    }

    @Test func corruptJPEGDataIsAnError() throws {
        var jpeg = try ImageCodec.encodeJPEG(try smoothImage(width: 64, height: 48, channels: 3), quality: 90)
        for index in (jpeg.count / 2)..<(jpeg.count / 2 + 20) { jpeg[index] ^= 0x5A }
        #expect(unreadableImage { _ = try ImageCodec.decode(jpeg, path: "corrupt.jpg") }?.path == "corrupt.jpg")
    }

    @Test func truncatedPNGIsAnError() throws {
        let png = try ImageCodec.encodePNG(try randomImage(width: 20, height: 20, channels: 3, seed: 5))
        // Everything up to the end of IDAT is needed; only the 12-byte IEND may go missing.
        for cut in [13, 14, 20, png.count / 2, png.count - 8, png.count - 1] {
            let prefix = Array(png.dropLast(cut))
            #expect(unreadableImage { _ = try ImageCodec.decode(prefix, path: "cut.png") }?.path == "cut.png",
                    "cutting \(cut) bytes")
        }
        let directory = try TemporaryDirectory()
        let path = try directory.write("cut.png", Array(png.dropLast(50)))
        #expect(unreadableImage { _ = try ImageCodec.decode(contentsOf: path) }?.path == path)
    }

    @Test func missingFileAndDirectoryAreReportedAsSuch() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path("absent.png")
        #expect(dataError { _ = try ImageCodec.decode(contentsOf: missing) } == .fileNotFound(path: missing))
        let underFile = URL(fileURLWithPath: try directory.write("file.png", [1])).appendingPathComponent("child.png").path
        #expect(dataError { _ = try ImageCodec.decode(contentsOf: underFile) } == .fileNotFound(path: underFile))
        let folder = directory.path("folder.png")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(dataError { _ = try ImageCodec.decode(contentsOf: folder) }
            == .readFailed(path: folder, message: "it is a directory"))
    }

    /// A path that exists but cannot be opened, even by root (permission bits would not stop root): a symbolic link
    /// to itself, which `open` refuses with ELOOP.
    @Test func unopenableFileIsAReadFailureNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("loop.png")
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "loop.png")
        let error = dataError { _ = try ImageCodec.decode(contentsOf: path) }
        #expect(error == .readFailed(path: path, message: "Too many levels of symbolic links"))
        #expect(error?.description == "\(path): could not read the file: Too many levels of symbolic links")
    }

    @Test func decodingFromAFileMatchesDecodingBytes() throws {
        let directory = try TemporaryDirectory()
        let image = try randomImage(width: 64, height: 50, channels: 3, seed: 8)
        let path = try directory.write("big.png", try ImageCodec.encodePNG(image))
        #expect(try ImageCodec.decode(contentsOf: path) == image)
        #expect(try ImageCodec.readFile(path) == Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    // MARK: Decompression bombs

    @Test func hugePNGIsRefusedBeforeAllocating() throws {
        // A 20000×20000 gray header (400 megapixels) over one row of data: a few dozen bytes.
        let file = try CraftedPNG(width: 20_000, height: 1, colorType: .gray, rows: [UInt8](repeating: 0, count: 20_000))
            .encoded()
        var bomb = file
        bomb.replaceSubrange(20..<24, with: CraftedPNG.bigEndian(20_000)) // height
        let ihdr = Array(bomb[12..<29])
        let crc = ihdr.withUnsafeBytes { Zlib.crc32($0) }
        bomb.replaceSubrange(29..<33, with: CraftedPNG.bigEndian(crc))
        let size = try ImageCodec.dimensions(bomb, path: "bomb.png")
        #expect(size.width == 20_000 && size.height == 20_000)
        let failure = unreadableImage { _ = try ImageCodec.decode(bomb, path: "bomb.png") }
        #expect(failure?.path == "bomb.png")
        #expect(failure?.reason.contains("megapixels") == true, "\(failure?.reason ?? "")")
    }

    @Test func hugeJPEGIsRefusedBeforeAllocating() throws {
        var jpeg = try ImageCodec.encodeJPEG(try smoothImage(width: 16, height: 16, channels: 3))
        // Patch the baseline frame header (FF C0, length, precision, height, width) to 60000×60000.
        guard let sof = (0..<(jpeg.count - 9)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) else {
            Issue.record("no SOF0 marker")
            return
        }
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xEA, 0x60, 0xEA, 0x60])
        let size = try ImageCodec.dimensions(jpeg, path: "bomb.jpg")
        #expect(size.width == 60_000 && size.height == 60_000)
        let failure = unreadableImage { _ = try ImageCodec.decode(jpeg, path: "bomb.jpg") }
        #expect(failure?.path == "bomb.jpg")
        #expect(failure?.reason.contains("megapixels") == true, "\(failure?.reason ?? "")")
    }

    // MARK: Concurrency

    @Test func decodesConcurrently() throws {
        let gray = try smoothImage(width: 28, height: 28, channels: 1)
        let png = try ImageCodec.encodePNG(gray)
        let jpeg = try ImageCodec.encodeJPEG(gray)
        let reference = try ImageCodec.decode(jpeg, path: "ref.jpg")
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<200 {
                let same = (try? ImageCodec.decode(png, path: "a.png")) == gray
                    && (try? ImageCodec.decode(jpeg, path: "a.jpg")) == reference
                if !same { mismatches.withLock { $0 += 1 } }
            }
        }
        #expect(mismatches.withLock { $0 } == 0)
    }
}
