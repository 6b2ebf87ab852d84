/// Errors thrown while reading and batching data sets. Each one that concerns a file names it.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case readFailed(path: String, message: String)
    /// A file or folder could not be written.
    case writeFailed(path: String, message: String)
    /// The file does not start with the expected IDX magic number.
    case badMagic(path: String, found: UInt32, expected: UInt32?)
    /// The IDX element type is not unsigned bytes (`0x08`), the only type FineTune reads.
    case unsupportedDataType(path: String, code: UInt8)
    /// The file ends before the header or the data its header announces.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// The file holds more bytes than its header announces.
    case sizeMismatch(path: String, expectedBytes: Int, actualBytes: Int)
    /// The header is self-contradictory (for example, dimensions whose product overflows).
    case malformed(path: String, message: String)
    /// The data has a shape other than the one the loader needs.
    case unexpectedShape(path: String, found: [Int], expected: String)
    /// A zlib call failed or the compressed stream is corrupt or truncated.
    case compression(path: String, call: String, status: String)
    /// Two files that belong together disagree (for example, image and label counts).
    case inconsistent(message: String)
    /// An argument is out of its allowed range.
    case invalidArgument(message: String)
    /// A file with an image extension could not be decoded (corrupt, truncated, empty or not an image).
    case unreadableImage(path: String, reason: String)
    /// A folder layout that cannot be used as a labelled data set (missing root, empty class, too few classes…).
    case badFolder(path: String, message: String)
    /// A text file holds bytes that are not UTF-8; `byteOffset` is the first bad byte.
    case notUTF8(path: String, byteOffset: Int)
    /// A CSV, TSV or JSON Lines file that cannot be read as labelled texts; `line` is 1-based when known.
    case badTable(path: String, line: Int?, message: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): file not found"
        case let .readFailed(path, message):
            return "\(path): could not read the file: \(message)"
        case let .writeFailed(path, message):
            return "\(path): could not write: \(message)"
        case let .badMagic(path, found, expected):
            let wanted = expected.map { "expected \(Self.hex($0))" } ?? "expected an IDX header 0x0000TTRR"
            return "\(path): bad IDX magic number \(Self.hex(found)), \(wanted)"
        case let .unsupportedDataType(path, code):
            return "\(path): IDX element type 0x\(String(code, radix: 16)) is not supported (only unsigned bytes, 0x08)"
        case let .truncated(path, expectedBytes, actualBytes):
            return "\(path): truncated: expected \(expectedBytes) bytes, found \(actualBytes)"
        case let .sizeMismatch(path, expectedBytes, actualBytes):
            return "\(path): size mismatch: the header announces \(expectedBytes) bytes, found \(actualBytes)"
        case let .malformed(path, message):
            return "\(path): malformed IDX header: \(message)"
        case let .unexpectedShape(path, found, expected):
            return "\(path): unexpected shape \(found), expected \(expected)"
        case let .compression(path, call, status):
            return "\(path): gzip decompression failed in \(call): \(status)"
        case let .inconsistent(message):
            return "inconsistent data: \(message)"
        case let .invalidArgument(message):
            return "invalid argument: \(message)"
        case let .unreadableImage(path, reason):
            return "\(path): unreadable image: \(reason)"
        case let .badFolder(path, message):
            return "\(path): \(message)"
        case let .notUTF8(path, byteOffset):
            return "\(path): not UTF-8 text: invalid byte at offset \(byteOffset)"
        case let .badTable(path, line, message):
            return "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
