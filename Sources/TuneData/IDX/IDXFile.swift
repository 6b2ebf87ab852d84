import Foundation
import TuneFormats

/// A file in the IDX format of MNIST and Fashion-MNIST, optionally gzip-compressed.
///
/// Layout: a 4-byte big-endian magic `0x0000TTRR` (`TT` the element type, `RR` the rank), then `RR` big-endian
/// 32-bit dimensions, then the elements in row-major order. FineTune reads unsigned bytes (`TT == 0x08`):
/// `0x00000803` holds images `[N, rows, cols]` and `0x00000801` holds labels `[N]`.
public struct IDXFile: Sendable {
    /// The element-type code for unsigned bytes, the only one supported.
    public static let unsignedByteType: UInt8 = 0x08
    /// The magic number of an unsigned-byte image file `[N, rows, cols]`.
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// The magic number of an unsigned-byte label file `[N]`.
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// The file the data came from, for error messages.
    public let path: String
    /// The dimensions from the header, outermost first.
    public let dimensions: [Int]
    /// The elements in row-major order; `bytes.count` is the product of ``dimensions``.
    public let bytes: [UInt8]

    /// The magic number this file's header carries.
    public var magic: UInt32 { UInt32(Self.unsignedByteType) << 8 | UInt32(dimensions.count) }

    /// Reads and parses `path`, decompressing it first when it starts with the gzip magic `1f 8b`.
    ///
    /// - Parameter expectedMagic: when given, the header must carry exactly this magic number
    ///   (for example ``imagesMagic``), or ``DataError/badMagic(path:found:expected:)`` is thrown.
    public init(contentsOf path: String, expectedMagic: UInt32? = nil) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else {
            throw DataError.readFailed(path: path, message: "it is a directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError.readFailed(path: path, message: "\(error.localizedDescription)")
        }
        let contents = try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> [UInt8] in
            guard Zlib.isGzip(raw) else { return Array(raw.bindMemory(to: UInt8.self)) }
            do throws(ZlibError) {
                return try Zlib.gunzip(raw)
            } catch {
                throw DataError.compression(path: path, call: error.call, status: error.message)
            }
        }
        try self.init(parsing: contents, path: path, expectedMagic: expectedMagic)
    }

    /// Parses uncompressed IDX `contents`; `path` only names the source in errors.
    public init(parsing contents: [UInt8], path: String, expectedMagic: UInt32? = nil) throws {
        guard contents.count >= 4 else {
            throw DataError.truncated(path: path, expectedBytes: 4, actualBytes: contents.count)
        }
        let magic = Self.bigEndianUInt32(contents, at: 0)
        guard contents[0] == 0, contents[1] == 0 else {
            throw DataError.badMagic(path: path, found: magic, expected: expectedMagic)
        }
        guard contents[2] == Self.unsignedByteType else {
            throw DataError.unsupportedDataType(path: path, code: contents[2])
        }
        if let expectedMagic, magic != expectedMagic {
            throw DataError.badMagic(path: path, found: magic, expected: expectedMagic)
        }
        let rank = Int(contents[3])
        guard rank > 0 else { throw DataError.malformed(path: path, message: "rank 0") }
        let headerSize = 4 + 4 * rank
        guard contents.count >= headerSize else {
            throw DataError.truncated(path: path, expectedBytes: headerSize, actualBytes: contents.count)
        }
        var dimensions: [Int] = []
        var elementCount = 1
        for axis in 0..<rank {
            let dimension = Int(Self.bigEndianUInt32(contents, at: 4 + 4 * axis))
            dimensions.append(dimension)
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw DataError.malformed(path: path, message: "the element count of dimensions \(dimensions) overflows")
            }
            elementCount = product
        }
        let (expectedBytes, overflow) = headerSize.addingReportingOverflow(elementCount)
        guard !overflow else {
            throw DataError.malformed(path: path, message: "the byte count of dimensions \(dimensions) overflows")
        }
        guard contents.count >= expectedBytes else {
            throw DataError.truncated(path: path, expectedBytes: expectedBytes, actualBytes: contents.count)
        }
        guard contents.count == expectedBytes else {
            throw DataError.sizeMismatch(path: path, expectedBytes: expectedBytes, actualBytes: contents.count)
        }
        self.path = path
        self.dimensions = dimensions
        bytes = Array(contents[headerSize...])
    }

    /// The unsigned-byte IDX encoding of `bytes` with `dimensions`, uncompressed (for writing test fixtures).
    public static func encode(dimensions: [Int], bytes: [UInt8]) throws -> [UInt8] {
        guard (1...255).contains(dimensions.count), dimensions.allSatisfy({ (0...Int(UInt32.max)).contains($0) }) else {
            throw DataError.invalidArgument(message: "IDX needs 1 to 255 dimensions, each within 32 bits; got \(dimensions)")
        }
        guard dimensions.reduce(1, *) == bytes.count else {
            throw DataError.invalidArgument(message: "\(bytes.count) bytes given for dimensions \(dimensions)")
        }
        var result: [UInt8] = [0, 0, unsignedByteType, UInt8(dimensions.count)]
        for dimension in dimensions {
            let value = UInt32(dimension)
            result += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        }
        return result + bytes
    }

    private static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
