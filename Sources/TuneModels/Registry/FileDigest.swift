import Crypto
import Foundation

/// The SHA-256 and MD5 of one file, lowercase hex: what weight files are checked against (torchvision publishes
/// SHA-256 prefixes, `keras.applications` MD5s). Computed by swift-crypto, the one place FineTune uses it.
public struct FileDigests: Sendable, Equatable, CustomStringConvertible {
    /// The SHA-256, lowercase hex.
    public let sha256: String
    /// The MD5, lowercase hex.
    public let md5: String

    public var description: String { "SHA-256 \(sha256), MD5 \(md5)" }

    /// The digests of the file at `path`, read in 1 MiB pieces.
    /// - Throws: ``WeightCacheError/unreadable(path:message:)`` when it cannot be read.
    public static func of(file path: String) throws -> FileDigests {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw WeightCacheError.unreadable(path: path, message: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        var digester = FileDigester()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch {
                throw WeightCacheError.unreadable(path: path, message: "\(error)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            digester.update(chunk)
        }
        return digester.finalize()
    }
}

/// Both digests of a byte stream fed piece by piece (a download as it arrives).
struct FileDigester {
    private var sha256 = SHA256()
    private var md5 = Insecure.MD5()

    /// Adds the next piece of the stream.
    mutating func update(_ bytes: Data) {
        sha256.update(data: bytes)
        md5.update(data: bytes)
    }

    /// The digests of everything added.
    func finalize() -> FileDigests {
        FileDigests(sha256: Self.hex(sha256.finalize()), md5: Self.hex(md5.finalize()))
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
