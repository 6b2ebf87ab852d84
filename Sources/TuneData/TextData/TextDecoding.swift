import Foundation

/// Strict UTF-8: text files are decoded only when every byte is valid, and the error names the first bad byte.
enum TextDecoding {
    /// The file at `path` as a string (a leading byte-order mark dropped).
    /// - Throws: ``DataError/fileNotFound(path:)``, ``DataError/readFailed(path:message:)``,
    ///   ``DataError/notUTF8(path:byteOffset:)``.
    static func readFile(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileNotFound(path: path) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataError.readFailed(path: path, message: error.localizedDescription)
        }
        return try decode(data, path: path)
    }

    /// `data` as UTF-8, naming `path` and the offset of the first invalid byte.
    static func decode(_ data: Data, path: String) throws -> String {
        let bytes = [UInt8](data)
        if let offset = firstInvalidByte(bytes) { throw DataError.notUTF8(path: path, byteOffset: offset) }
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        return String(decoding: bytes[start...], as: UTF8.self)
    }

    /// The offset of the first byte that does not belong to a valid UTF-8 sequence (overlong forms, surrogates and
    /// values above U+10FFFF are invalid), or `nil`.
    static func firstInvalidByte(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int, low: UInt8, high: UInt8
            switch lead {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return index
            }
            guard index + length <= bytes.count else { return index }
            guard (low...high).contains(bytes[index + 1]) else { return index }
            for offset in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[index + offset]) { return index }
            index += length
        }
        return nil
    }
}
