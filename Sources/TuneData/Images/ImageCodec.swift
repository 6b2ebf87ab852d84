#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes JPEG and PNG files to ``PixelImage`` values and encodes them back.
///
/// The format is always detected from the bytes (``ImageFormat/detect(_:)``), never from the file name.
/// Decoded images have one channel (grayscale JPEGs; gray and gray+alpha PNGs) or three (everything else); alpha
/// is dropped and 16-bit PNG samples are reduced to 8 bits. The notes on `JPEG` and `PNG` in this folder give the
/// exact policies, chosen to reproduce the pixels PIL's `convert("L"/"RGB")` gives.
///
/// Every failure is a ``DataError`` naming the file: ``DataError/fileNotFound(path:)``,
/// ``DataError/readFailed(path:message:)`` or ``DataError/unreadableImage(path:reason:)`` (empty, not an image,
/// corrupt, truncated, or larger than ``maximumPixelCount``). Decoding is safe to run on many threads at once.
public enum ImageCodec {
    /// The largest image decoded, in pixels: 100 megapixels (PIL warns above 89 and refuses above 179). Larger
    /// images are refused from their header, before any pixel memory is allocated, so that a small malicious
    /// file (a "decompression bomb") cannot make the loader allocate gigabytes.
    public static let maximumPixelCount = 100_000_000

    /// Decodes the JPEG or PNG in `bytes`; `path` only names the source in errors.
    ///
    /// - Throws: ``DataError/unreadableImage(path:reason:)`` when `bytes` are empty ("empty file"), start with
    ///   neither signature ("not a JPEG or PNG file"), are corrupt or truncated, or hold more than
    ///   ``maximumPixelCount`` pixels.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> PixelImage {
        switch try format(of: bytes, path: path) {
        case .jpeg: return try JPEG.decode(bytes, path: path)
        case .png: return try PNG.decode(bytes, path: path)
        }
    }

    /// Decodes the JPEG or PNG in `bytes`; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> PixelImage {
        try bytes.withUnsafeBytes { try decode($0, path: path) }
    }

    /// Reads and decodes the JPEG or PNG file at `path`, whatever its extension.
    ///
    /// - Throws: ``DataError/fileNotFound(path:)`` when nothing exists there, ``DataError/readFailed(path:message:)``
    ///   when it cannot be read (permissions, a directory, an I/O error), else as ``decode(_:path:)``
    ///   does for the bytes.
    public static func decode(contentsOf path: String) throws -> PixelImage {
        try decode(try readFile(path), path: path)
    }

    /// The size and decoded channel count (1 or 3) of the JPEG or PNG in `bytes`, from its header alone.
    ///
    /// Cheap: no pixel data is decompressed, so a file whose image data is damaged may still report dimensions
    /// here and fail to decode. The size limit is not applied.
    public static func dimensions(_ bytes: UnsafeRawBufferPointer, path: String) throws
        -> (width: Int, height: Int, channels: Int)
    {
        switch try format(of: bytes, path: path) {
        case .jpeg:
            let header = try JPEG.header(bytes, path: path)
            return (header.width, header.height, header.channels)
        case .png:
            let header = try PNG.header(bytes, path: path)
            return (header.width, header.height, header.channels)
        }
    }

    /// The size and decoded channel count (1 or 3) of the JPEG or PNG in `bytes`, from its header alone.
    public static func dimensions(_ bytes: [UInt8], path: String) throws -> (width: Int, height: Int, channels: Int) {
        try bytes.withUnsafeBytes { try dimensions($0, path: path) }
    }

    /// Encodes `image` losslessly as an 8-bit gray (1 channel) or RGB (3 channels) PNG.
    ///
    /// - Throws: ``DataError/invalidArgument(message:)`` if libpng refuses the image.
    public static func encodePNG(_ image: PixelImage) throws -> [UInt8] {
        try PNG.encode(image)
    }

    /// Encodes `image` as a baseline JPEG: grayscale for 1 channel, YCbCr with the given chroma subsampling for 3.
    ///
    /// - Parameters:
    ///   - quality: 1 (smallest) … 100 (best); 90 by default.
    ///   - subsampling: colour resolution for RGB images; 4:2:0 (``ChromaSubsampling/quarter``) by default, as PIL.
    /// - Throws: ``DataError/invalidArgument(message:)`` for a quality outside 1…100, a side above 65535 pixels
    ///   (JPEG's limit) or a libjpeg-turbo failure.
    public static func encodeJPEG(_ image: PixelImage, quality: Int = 90,
                                  subsampling: ChromaSubsampling = .quarter) throws -> [UInt8] {
        try JPEG.encode(image, quality: quality, subsampling: subsampling)
    }

    /// Throws unless a `width × height` image may be decoded (positive size, at most ``maximumPixelCount`` pixels).
    /// The decoders call it with the header's size, before allocating pixel memory.
    static func checkPixelCount(width: Int, height: Int, path: String) throws {
        guard width > 0, height > 0 else {
            throw DataError.unreadableImage(path: path, reason: "the header gives an empty size \(width)×\(height)")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maximumPixelCount else {
            throw DataError.unreadableImage(
                path: path,
                reason: "the image is \(width)×\(height) pixels, above the limit of \(maximumPixelCount / 1_000_000) megapixels (a decompression bomb?)")
        }
    }

    /// The format `bytes` start with, or the error for empty and unrecognized data.
    private static func format(of bytes: UnsafeRawBufferPointer, path: String) throws -> ImageFormat {
        guard !bytes.isEmpty else { throw DataError.unreadableImage(path: path, reason: "empty file") }
        guard let format = ImageFormat.detect(bytes) else {
            throw DataError.unreadableImage(path: path, reason: "not a JPEG or PNG file")
        }
        return format
    }

    /// The whole contents of the file at `path`, read with POSIX calls.
    static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw DataError.fileNotFound(path: path) }
            throw DataError.readFailed(path: path, message: systemMessage(code))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw DataError.readFailed(path: path, message: systemMessage(errno))
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw DataError.readFailed(path: path, message: "it is a directory")
        }

        /// Reads into `buffer` until it is full or the file ends; returns the byte count read.
        func fill(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            var filled = 0
            while filled < buffer.count {
                let count = read(descriptor, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
                if count == 0 { break }
                if count < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    throw DataError.readFailed(path: path, message: systemMessage(code))
                }
                filled += count
            }
            return filled
        }

        if info.st_mode & S_IFMT == S_IFREG {
            let size = Int(info.st_size)
            return try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                count = try fill(UnsafeMutableRawBufferPointer(buffer))
            }
        }
        // Pipes and devices report no useful size: read in chunks until the end.
        var contents = [UInt8]()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let count = try fill(chunk)
            contents.append(contentsOf: chunk.prefix(count))
            if count < chunk.count { return contents }
        }
    }

    private static func systemMessage(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}
