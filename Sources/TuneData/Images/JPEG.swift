import CTurboJPEG

/// The one place FineTune calls libjpeg-turbo (through its TurboJPEG API). Every call that can fail goes through
/// ``call(_:handle:task:_:)``, which turns TurboJPEG's `-1` into a thrown ``DataError`` carrying
/// `tjGetErrorStr2`'s message.
///
/// Decoding policy:
/// - Grayscale JPEGs decode to one channel, YCbCr and RGB JPEGs to three (RGB). CMYK and YCCK JPEGs are decoded to
///   CMYK and converted to RGB the way PIL's `convert("RGB")` does, assuming the Adobe convention of inverted
///   samples (as PIL does).
/// - Decoding is strict: libjpeg-turbo reports a truncated file ("Premature end of JPEG file") and corrupt
///   entropy-coded data ("Corrupt JPEG data: … extraneous bytes before marker") only as *warnings*: it still
///   fills the whole image, padding what is missing with gray, and `tjDecompress2` returns `-1` with
///   `TJERR_WARNING`. FineTune treats every `-1` as an error, so damaged files never silently become training
///   data, and passes `TJFLAG_STOPONWARNING` so that decoding stops at the first warning. The price: the rare
///   JPEG that PIL decodes despite such a warning is rejected here.
/// - Progressive JPEGs with an unreasonable number of scans are refused (`TJFLAG_LIMITSCANS`).
/// - The IDCT and chroma upsampling are libjpeg's defaults (accurate integer IDCT, smooth upsampling), the
///   settings PIL decodes with. EXIF orientation is not applied (PIL's `Image.open` does not apply it either).
///
/// A decompressor handle is created per call: measured, creating and destroying one costs about 0.1 µs, a few
/// percent of decoding even a 28×28 image, and it keeps the code free of per-thread state.
enum JPEG {
    /// What a failing TurboJPEG call was doing, which decides the error thrown.
    enum Task {
        /// Decoding the file at `path`: failures are ``DataError/unreadableImage(path:reason:)``.
        case decoding(path: String)
        /// Encoding an in-memory image: failures are ``DataError/invalidArgument(message:)``.
        case encoding
    }

    /// Flags for every decompression call.
    private static let decodeFlags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS

    /// Runs one TurboJPEG call and throws unless it returns 0.
    ///
    /// The error text is TurboJPEG's message for `handle`; a warning (`TJERR_WARNING`, for example a truncated
    /// file) is reported as such, since it is one only because decoding is strict.
    static func call(_ name: String, handle: tjhandle, task: Task, _ body: () -> Int32) throws {
        guard body() != 0 else { return }
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
        let detail = isWarning ? "\(message) (\(name) warning: the data is corrupt or truncated)" : "\(message) (\(name))"
        switch task {
        case let .decoding(path):
            throw DataError.unreadableImage(path: path, reason: "JPEG: \(detail)")
        case .encoding:
            throw DataError.invalidArgument(message: "JPEG encoding failed: \(detail)")
        }
    }

    /// Runs `body` with a fresh TurboJPEG handle made by `initializer`, destroying the handle afterwards.
    private static func withHandle<T>(_ initializer: () -> tjhandle?, _ name: String, task: Task,
                                      _ body: (tjhandle) throws -> T) throws -> T {
        guard let handle = initializer() else {
            // Without a handle TurboJPEG keeps the message globally (per thread).
            let message = tjGetErrorStr2(nil).map { String(cString: $0) } ?? "out of memory"
            switch task {
            case let .decoding(path):
                throw DataError.unreadableImage(path: path, reason: "JPEG: \(message) (\(name))")
            case .encoding:
                throw DataError.invalidArgument(message: "JPEG encoding failed: \(message) (\(name))")
            }
        }
        defer { tjDestroy(handle) }
        return try body(handle)
    }

    /// What the JPEG header says, read without decoding the image.
    struct Header {
        var width: Int
        var height: Int
        /// One of the `TJCS` colorspaces.
        var colorspace: Int32

        /// 1 for grayscale JPEGs, 3 for everything else (CMYK included, since it decodes to RGB).
        var channels: Int { colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3 }
        var isCMYK: Bool {
            colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        }
    }

    /// Reads the header of the JPEG in `bytes` (which must be non-empty) without decoding it.
    static func header(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        let task = Task.decoding(path: path)
        return try withHandle(tjInitDecompress, "tjInitDecompress", task: task) { handle in
            try header(handle, bytes, task: task)
        }
    }

    private static func header(_ handle: tjhandle, _ bytes: UnsafeRawBufferPointer, task: Task) throws -> Header {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        try call("tjDecompressHeader3", handle: handle, task: task) {
            tjDecompressHeader3(handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
                                &width, &height, &subsampling, &colorspace)
        }
        return Header(width: Int(width), height: Int(height), colorspace: colorspace)
    }

    /// Decodes the JPEG in `bytes` (which must be non-empty) to a 1-channel (grayscale JPEG) or 3-channel image.
    ///
    /// Throws ``DataError/unreadableImage(path:reason:)`` naming `path` for corrupt, truncated or unsupported
    /// data (including warnings, see the type's notes) and for images above ``ImageCodec/maximumPixelCount``.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> PixelImage {
        let task = Task.decoding(path: path)
        return try withHandle(tjInitDecompress, "tjInitDecompress", task: task) { handle in
            let header = try header(handle, bytes, task: task)
            try ImageCodec.checkPixelCount(width: header.width, height: header.height, path: path)
            let pixelCount = header.width * header.height

            func decompress(into buffer: UnsafeMutableBufferPointer<UInt8>, format: TJPF) throws {
                try call("tjDecompress2", handle: handle, task: task) {
                    tjDecompress2(handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
                                  buffer.baseAddress, Int32(header.width), 0, Int32(header.height),
                                  Int32(format.rawValue), decodeFlags)
                }
            }

            if header.isCMYK {
                let cmyk = try [UInt8](unsafeUninitializedCapacity: pixelCount * 4) { buffer, count in
                    try decompress(into: buffer, format: TJPF_CMYK)
                    count = pixelCount * 4
                }
                return try PixelImage(width: header.width, height: header.height, channels: 3,
                                      pixels: rgb(fromAdobeCMYK: cmyk, pixelCount: pixelCount))
            }
            let channels = header.channels
            let pixels = try [UInt8](unsafeUninitializedCapacity: pixelCount * channels) { buffer, count in
                try decompress(into: buffer, format: channels == 1 ? TJPF_GRAY : TJPF_RGB)
                count = pixelCount * channels
            }
            return try PixelImage(width: header.width, height: header.height, channels: channels, pixels: pixels)
        }
    }

    /// Converts inverted (Adobe-convention) CMYK samples to RGB exactly as PIL does for CMYK JPEGs:
    /// PIL reads them as `CMYK;I` (un-inverting), then `R = (255 − K) − (C · (255 − K)) / 255` with PIL's rounded
    /// division, and likewise for G (M) and B (Y).
    static func rgb(fromAdobeCMYK cmyk: [UInt8], pixelCount: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { rgb, count in
            cmyk.withUnsafeBufferPointer { source in
                for pixel in 0..<pixelCount {
                    // Stored samples are inverted: stored = 255 − ink.
                    let notBlack = Int(source[4 * pixel + 3])
                    for channel in 0..<3 {
                        let ink = 255 - Int(source[4 * pixel + channel])
                        let product = ink * notBlack + 128
                        rgb[3 * pixel + channel] = UInt8(notBlack - (((product >> 8) + product) >> 8))
                    }
                }
            }
            count = pixelCount * 3
        }
    }

    /// Encodes `image` as a baseline JPEG of the given quality (1…100); grayscale images become grayscale JPEGs,
    /// RGB images are subsampled as `subsampling` says. Uses the accurate integer DCT.
    static func encode(_ image: PixelImage, quality: Int, subsampling: ChromaSubsampling) throws -> [UInt8] {
        try image.pixels.withUnsafeBytes { samples in
            try compress(samples, width: image.width, height: image.height, layout: image.channels == 1 ? .gray : .rgb,
                         quality: quality, subsampling: subsampling)
        }
    }

    /// The sample layouts ``compress(_:width:height:layout:quality:subsampling:)`` accepts.
    enum SampleLayout {
        /// One byte per pixel; written as a grayscale JPEG (subsampling does not apply).
        case gray
        /// Three bytes per pixel, R G B; written as YCbCr.
        case rgb
        /// Four bytes per pixel, C M Y K as given (TurboJPEG writes them as YCCK with an Adobe marker and does
        /// not invert them). ``encode(_:quality:subsampling:)`` never produces it; tests use it.
        case cmyk

        var bytesPerPixel: Int {
            switch self {
            case .gray: return 1
            case .rgb: return 3
            case .cmyk: return 4
            }
        }
    }

    /// Compresses raw interleaved `samples` laid out as `layout` to a baseline JPEG with `tjCompress2`.
    static func compress(_ samples: UnsafeRawBufferPointer, width: Int, height: Int, layout: SampleLayout,
                         quality: Int, subsampling: ChromaSubsampling) throws -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw DataError.invalidArgument(message: "JPEG quality \(quality) is outside 1…100")
        }
        // The JPEG format stores sizes in 16 bits.
        guard width > 0, height > 0, width <= 65_535, height <= 65_535 else {
            throw DataError.invalidArgument(
                message: "a \(width)×\(height) image cannot be a JPEG (sides of 1…65535 pixels)")
        }
        guard samples.count == width * height * layout.bytesPerPixel else {
            throw DataError.invalidArgument(
                message: "a \(width)×\(height) \(layout) image needs \(width * height * layout.bytesPerPixel) bytes, got \(samples.count)")
        }
        let format: TJPF
        switch layout {
        case .gray: format = TJPF_GRAY
        case .rgb: format = TJPF_RGB
        case .cmyk: format = TJPF_CMYK
        }
        let sampling: TJSAMP
        switch (layout, subsampling) {
        case (.gray, _): sampling = TJSAMP_GRAY
        case (_, .none): sampling = TJSAMP_444
        case (_, .half): sampling = TJSAMP_422
        case (_, .quarter): sampling = TJSAMP_420
        }
        return try withHandle(tjInitCompress, "tjInitCompress", task: .encoding) { handle in
            var output: UnsafeMutablePointer<UInt8>?
            var size: UInt = 0
            defer { tjFree(output) }
            try call("tjCompress2", handle: handle, task: .encoding) {
                tjCompress2(handle, samples.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(width), 0,
                            Int32(height), Int32(format.rawValue), &output, &size, Int32(sampling.rawValue),
                            Int32(quality), TJFLAG_ACCURATEDCT)
            }
            guard let output else {
                throw DataError.invalidArgument(message: "JPEG encoding failed: tjCompress2 produced no data")
            }
            return [UInt8](UnsafeBufferPointer(start: output, count: Int(size)))
        }
    }
}
