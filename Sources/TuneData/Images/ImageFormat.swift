/// The encoded image formats FineTune reads and writes.
///
/// Decoding always trusts the bytes (``detect(_:)``), never the file name: a PNG saved as `photo.jpg` decodes as a
/// PNG. ``fromExtension(_:)`` exists for listing candidate files in a folder, not for choosing a decoder.
public enum ImageFormat: String, Sendable, CaseIterable {
    /// JPEG (JFIF/Exif), decoded and encoded with libjpeg-turbo.
    case jpeg
    /// PNG, decoded and encoded with libpng's simplified API.
    case png

    /// The signature every JPEG file starts with: SOI (`FF D8`) followed by the first marker's `FF`.
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
    /// The eight-byte PNG file signature.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The format whose signature `bytes` start with, or `nil` when they match none (including when too short).
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if hasPrefix(bytes, pngSignature) { return .png }
        if hasPrefix(bytes, jpegSignature) { return .jpeg }
        return nil
    }

    /// The format a file extension names: `jpg`, `jpeg` or `png`, in any case, with or without the leading dot.
    ///
    /// Other extensions (including `jpe`, `jfif`, `gif`) give `nil`.
    public static func fromExtension(_ ext: String) -> ImageFormat? {
        let name = ext.hasPrefix(".") ? String(ext.dropFirst()) : ext
        switch name.lowercased() {
        case "jpg", "jpeg": return .jpeg
        case "png": return .png
        default: return nil
        }
    }

    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ signature: [UInt8]) -> Bool {
        guard bytes.count >= signature.count else { return false }
        for (index, byte) in signature.enumerated() where bytes[index] != byte { return false }
        return true
    }
}
