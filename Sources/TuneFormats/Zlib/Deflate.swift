import CZlib

/// Compression, which FineTune itself does not need: tests use it to make gzip files and PNG `IDAT` data.
extension Zlib {
    /// The container around a deflate stream.
    package enum Container {
        /// A zlib stream (2-byte header, Adler-32 trailer), as PNG uses.
        case zlib
        /// A gzip file (10-byte header, CRC-32 and size trailer).
        case gzip
    }

    /// `bytes` deflated at `level` (0–9) in `container`.
    package static func compress(_ bytes: [UInt8], container: Container, level: Int32 = 6) throws(ZlibError) -> [UInt8] {
        var stream = z_stream()
        let windowBits: Int32 = container == .gzip ? 15 + 16 : 15
        try call("deflateInit2_") {
            deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                          Int32(MemoryLayout<z_stream>.size))
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        let produced = try bytes.withUnsafeBufferPointer { input throws(ZlibError) -> Int in
            try output.withUnsafeMutableBufferPointer { out throws(ZlibError) -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                try call("deflate", accepting: [Z_STREAM_END]) { deflate(&stream, Z_FINISH) }
                return out.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }
}
