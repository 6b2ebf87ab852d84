import CPNG

/// The one place FineTune calls libpng, and only through its *simplified API* (`png_image_…`): the classic API
/// reports errors by `longjmp`, which must never cross Swift frames; the simplified API catches its own
/// `longjmp`s inside libpng and reports failures through `png_image.warning_or_error` and `message`, which
/// ``failure(_:path:)`` turns into a thrown ``DataError/unreadableImage(path:reason:)``.
///
/// Decoding policy (chosen to give the pixel values PIL's `Image.open(…).convert("L" or "RGB")` gives, which is
/// what reference training pipelines saw):
/// - Gray and gray+alpha PNGs decode to one channel; RGB, RGBA and palette PNGs to three (RGB), even when the
///   palette only holds grays. Sub-byte gray is scaled to 0…255 (1-bit: 0 and 255; 2-bit: 0, 85, 170, 255).
/// - Alpha (an alpha channel or a `tRNS` chunk) is **dropped**, not composited: the colour samples come out as
///   stored, like PIL's `convert("RGB")`. (Asking libpng's simplified API for a format without alpha would
///   instead composite, in linear light, onto whatever the output buffer holds when the background is `NULL`,
///   so FineTune reads the matching format *with* alpha and strips it itself.)
/// - Stored gamma is ignored: the chunks that would make the simplified API convert gamma are skipped before
///   libpng sees the data (``removingColourChunks(_:)``), so samples come out as stored.
/// - 16-bit samples are reduced to 8 bits with rounding, `round(v · 255 / 65535)`, so a 16-bit sample `v · 257`
///   decodes to exactly `v` (PIL keeps the high byte of 16-bit RGB samples, `v >> 8`, which agrees on such values
///   and differs by at most one elsewhere). One exception, forced by a libpng bug: in a 16-bit *interlaced* PNG *with alpha*, colours come
///   back from libpng premultiplied and are divided back, so fully transparent pixels come out black and
///   translucent ones may be off by one.
/// - Interlaced (Adam7) images decode like any other.
/// - A file cut off before its image data is complete is an error; one missing only its final `IEND` chunk
///   decodes (every pixel is present), as in PIL. libpng *warnings* (for example a damaged ancillary chunk,
///   which libpng skips) do not fail decoding.
enum PNG {
    private static let colorFlag = UInt32(PNG_FORMAT_FLAG_COLOR)
    private static let alphaFlag = UInt32(PNG_FORMAT_FLAG_ALPHA)
    private static let linearFlag = UInt32(PNG_FORMAT_FLAG_LINEAR)
    private static let colormapFlag = UInt32(PNG_FORMAT_FLAG_COLORMAP)

    /// A `png_image` ready for a `png_image_begin_read…` or `png_image_write…` call.
    private static func makeImage() -> png_image {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        return image
    }

    /// libpng's message for the last warning or error recorded in `image`.
    private static func message(_ image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "unknown libpng error" : text
    }

    /// Whether `image` records an error (not merely a warning), as png.h's `PNG_IMAGE_FAILED` says.
    private static func failed(_ image: png_image) -> Bool { image.warning_or_error & 0x03 > 1 }

    /// The error for a failed read of `path`, carrying libpng's message.
    private static func failure(_ image: inout png_image, path: String) -> DataError {
        .unreadableImage(path: path, reason: "PNG: \(message(&image))")
    }

    /// What the PNG header says, read without decoding the image.
    struct Header {
        var width: Int
        var height: Int
        /// libpng's description of the stored samples (`PNG_FORMAT_FLAG_…` bits).
        var sourceFormat: UInt32

        /// 3 when the PNG stores colour (RGB, RGBA, palette), 1 for gray and gray+alpha.
        var channels: Int { sourceFormat & PNG.colorFlag != 0 ? 3 : 1 }
    }

    /// Reads the header of the PNG in `bytes` (the chunks up to the image data) without decoding it.
    static func header(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        var image = makeImage()
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0, !failed(image) else {
            throw failure(&image, path: path)
        }
        return Header(width: Int(image.width), height: Int(image.height), sourceFormat: image.format)
    }

    /// Decodes the PNG in `bytes` to a 1- or 3-channel 8-bit image (see the type's notes for alpha, gamma and
    /// 16-bit samples).
    ///
    /// Throws ``DataError/unreadableImage(path:reason:)`` naming `path` for corrupt or truncated data and for
    /// images above ``ImageCodec/maximumPixelCount``.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> PixelImage {
        if let withoutColourChunks = removingColourChunks(bytes) {
            return try withoutColourChunks.withUnsafeBytes { try decodeStoredValues($0, path: path) }
        }
        return try decodeStoredValues(bytes, path: path)
    }

    /// Decodes `bytes`, which carry no chunk that would make libpng convert gamma (see
    /// ``removingColourChunks(_:)``).
    private static func decodeStoredValues(_ bytes: UnsafeRawBufferPointer, path: String) throws -> PixelImage {
        var image = makeImage()
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0, !failed(image) else {
            throw failure(&image, path: path)
        }
        let width = Int(image.width), height = Int(image.height)
        try ImageCodec.checkPixelCount(width: width, height: height, path: path)

        let source = image.format
        let isColor = source & colorFlag != 0
        let hasAlpha = source & alphaFlag != 0
        let channels = isColor ? 3 : 1
        if source & linearFlag != 0 {
            // libpng 1.6.39's simplified API scrambles Adam7-interlaced 16-bit images read into an 8-bit format
            // (pnggroup/libpng#853), so 16-bit images are read as 16-bit and reduced here; except non-interlaced
            // ones with alpha, which libpng would return premultiplied in a 16-bit format.
            // IHDR, whose last byte (file offset 28) is the interlace method, is the first chunk: libpng checked.
            let interlaced = bytes.count > 28 && bytes[28] != 0
            if !hasAlpha || interlaced {
                return try decodeSixteenBit(&image, isColor: isColor, hasAlpha: hasAlpha, path: path)
            }
            // Without this flag 16-bit samples count as linear light and get sRGB-encoded on the way to 8 bits.
            // (It must be set after png_image_begin_read…, which initializes `flags`.)
            image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        }
        // Read the alpha channel when there is one, so that libpng does not composite, and drop it below.
        image.format = (isColor ? colorFlag : 0) | (hasAlpha ? alphaFlag : 0)
        let readChannels = channels + (hasAlpha ? 1 : 0)
        let readCount = width * height * readChannels
        let samples = try [UInt8](unsafeUninitializedCapacity: readCount) { buffer, count in
            guard png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil) != 0, !failed(image) else {
                throw failure(&image, path: path)
            }
            count = readCount
        }
        let pixels = hasAlpha ? dropLastChannel(samples, pixelCount: width * height, keeping: channels) : samples
        return try PixelImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Finishes reading a 16-bit PNG in libpng's 16-bit format and reduces it to 8 bits, `round(v · 255 / 65535)`.
    ///
    /// The file carries no gamma information (``removingColourChunks(_:)``), so libpng takes its samples for
    /// linear light and returns them unchanged, except that with alpha it premultiplies the colour samples: those
    /// are divided back here (exact for opaque pixels, within a rounding step for translucent ones; the colour
    /// of fully transparent pixels is lost and comes out black).
    private static func decodeSixteenBit(_ image: inout png_image, isColor: Bool, hasAlpha: Bool, path: String) throws
        -> PixelImage
    {
        let width = Int(image.width), height = Int(image.height), pixelCount = width * height
        let channels = isColor ? 3 : 1
        let readChannels = channels + (hasAlpha ? 1 : 0)
        image.format = linearFlag | (isColor ? colorFlag : 0) | (hasAlpha ? alphaFlag : 0)
        let samples = try [UInt16](unsafeUninitializedCapacity: pixelCount * readChannels) { buffer, count in
            guard png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil) != 0, !failed(image) else {
                throw failure(&image, path: path)
            }
            count = pixelCount * readChannels
        }
        let pixels = [UInt8](unsafeUninitializedCapacity: pixelCount * channels) { output, count in
            samples.withUnsafeBufferPointer { input in
                for pixel in 0..<pixelCount {
                    let first = pixel * readChannels
                    if hasAlpha {
                        // Unpremultiply and scale at once: round(p · 255 / alpha).
                        let alpha = Int(input[first + channels])
                        for channel in 0..<channels {
                            let value = alpha == 0 ? 0 : (Int(input[first + channel]) * 510 + alpha) / (2 * alpha)
                            output[pixel * channels + channel] = UInt8(min(value, 255))
                        }
                    } else {
                        for channel in 0..<channels {
                            output[pixel * channels + channel] = UInt8((Int(input[first + channel]) * 255 + 32_767) / 65_535)
                        }
                    }
                }
            }
            count = pixelCount * channels
        }
        return try PixelImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// The first `keeping` of every `keeping + 1` samples.
    private static func dropLastChannel(_ samples: [UInt8], pixelCount: Int, keeping: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: pixelCount * keeping) { output, count in
            samples.withUnsafeBufferPointer { input in
                let stride = keeping + 1
                for pixel in 0..<pixelCount {
                    for channel in 0..<keeping {
                        output[pixel * keeping + channel] = input[pixel * stride + channel]
                    }
                }
            }
            count = pixelCount * keeping
        }
    }

    /// Chunk types as big-endian 32-bit numbers.
    private enum ChunkType {
        static let imageData: UInt32 = 0x4944_4154 // IDAT
        static let gamma: UInt32 = 0x6741_4D41 // gAMA
        static let standardRGB: UInt32 = 0x7352_4742 // sRGB
        static let iccProfile: UInt32 = 0x6943_4350 // iCCP
    }

    /// A copy of the PNG in `bytes` without the chunks that would make libpng convert gamma, or `nil` when there
    /// are none (the usual case).
    ///
    /// That is `gAMA` for every PNG (8-bit samples are taken as sRGB without it) and, for 16-bit PNGs, also
    /// `sRGB` and `iCCP` (which declare sRGB encoding), since FineTune may read those in libpng's linear 16-bit
    /// format. Only the chunks before the first `IDAT` are examined (colour chunks must precede it). A chunk
    /// whose declared length runs past the data ends the scan, leaving the damage for libpng to report.
    static func removingColourChunks(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        // IHDR's bit-depth byte sits at file offset 24.
        let sixteenBit = bytes.count > 24 && bytes[24] == 16
        var offset = ImageFormat.pngSignature.count
        var removed: [Range<Int>] = []
        while offset + 8 <= bytes.count {
            let length = Int(bigEndianUInt32(bytes, at: offset))
            let type = bigEndianUInt32(bytes, at: offset + 4)
            if type == ChunkType.imageData { break }
            let end = offset + 12 + length // length, type, data, CRC
            guard end <= bytes.count else { break }
            if type == ChunkType.gamma
                || sixteenBit && (type == ChunkType.standardRGB || type == ChunkType.iccProfile) {
                removed.append(offset..<end)
            }
            offset = end
        }
        guard !removed.isEmpty else { return nil }
        var copy = [UInt8]()
        copy.reserveCapacity(bytes.count)
        var start = 0
        for chunk in removed {
            copy.append(contentsOf: bytes[start..<chunk.lowerBound])
            start = chunk.upperBound
        }
        copy.append(contentsOf: bytes[start...])
        return copy
    }

    private static func bigEndianUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    /// Encodes `image` as an 8-bit gray or RGB PNG.
    static func encode(_ image: PixelImage) throws -> [UInt8] {
        try image.pixels.withUnsafeBytes { samples in
            try write(width: image.width, height: image.height, format: image.channels == 1 ? 0 : colorFlag,
                      samples: samples)
        }
    }

    /// Writes raw samples through `png_image_write_to_memory`, in any simplified-API `format`
    /// (`PNG_FORMAT_…`): 8-bit sRGB or, with `PNG_FORMAT_FLAG_LINEAR`, native-endian 16-bit linear samples
    /// (libpng records them with `gAMA` 1.0); with `PNG_FORMAT_FLAG_COLORMAP`, one index byte per pixel into
    /// `colormap`, whose entries are in `format` without that flag.
    ///
    /// ``encode(_:)`` uses it for gray and RGB; tests use it to produce the other variants FineTune must read.
    static func write(width: Int, height: Int, format: UInt32, samples: UnsafeRawBufferPointer,
                      colormap: [UInt8] = []) throws -> [UInt8] {
        let pixelChannels = format & colormapFlag != 0 ? 1 : Int(format & (colorFlag | alphaFlag)) + 1
        let componentSize = format & (linearFlag | colormapFlag) == linearFlag ? 2 : 1
        let entryChannels = Int(format & (colorFlag | alphaFlag)) + 1
        let entrySize = entryChannels * (format & linearFlag != 0 ? 2 : 1)
        let colormapEntries = format & colormapFlag != 0 ? colormap.count / entrySize : 0
        guard width > 0, height > 0, width <= Int(Int32.max) / (pixelChannels * componentSize), height <= Int(Int32.max) else {
            throw DataError.invalidArgument(message: "cannot write a \(width)×\(height) PNG")
        }
        let rawSize = width * height * pixelChannels * componentSize
        guard samples.count == rawSize else {
            throw DataError.invalidArgument(
                message: "a \(width)×\(height) PNG of format 0x\(String(format, radix: 16)) needs \(rawSize) bytes of samples, got \(samples.count)")
        }
        guard format & colormapFlag == 0 || (1...256).contains(colormapEntries) && colormap.count == colormapEntries * entrySize else {
            throw DataError.invalidArgument(message: "a PNG colour map needs 1…256 entries of \(entrySize) bytes, got \(colormap.count) bytes")
        }

        var image = makeImage()
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        image.colormap_entries = UInt32(colormapEntries)
        defer { png_image_free(&image) }

        // png.h's PNG_IMAGE_PNG_SIZE_MAX: an upper bound on the encoded size (signature, header and colour
        // chunks, the worst-case deflate stream split into IDAT chunks, IEND).
        let filtered = rawSize + height
        let deflated = filtered + (filtered + 7) >> 3 + (filtered + 63) >> 6 + 11
        var capacity = 117 + 12 + 3 * colormapEntries + 12 + colormapEntries + 12 * (deflated / Int(PNG_ZBUF_SIZE)) + deflated
        for _ in 0..<2 {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
            defer { buffer.deallocate() }
            var size = capacity
            let status = colormap.withUnsafeBytes { map in
                png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, samples.baseAddress, 0,
                                          colormapEntries > 0 ? map.baseAddress : nil)
            }
            if status != 0, !failed(image) {
                return [UInt8](buffer.prefix(size))
            }
            // Too small a buffer is reported as failure with the size needed; otherwise writing failed.
            guard size > capacity else { break }
            capacity = size
            image.warning_or_error = 0
        }
        throw DataError.invalidArgument(message: "PNG encoding failed: \(message(&image))")
    }
}
