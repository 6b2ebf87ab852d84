import CZlib

/// The one place FineTune calls zlib (this folder): gzip and raw-deflate decompression (``Zlib/gunzip(_:)``,
/// ``Zlib/inflateRaw(_:expectedSize:)``), deflate compression for test fixtures (``Zlib/compress(_:format:)``) and
/// CRC-32 (``Zlib/crc32(_:)``).
///
/// Failures are thrown as ``ZlibError`` values naming the zlib call; callers wrap them in their own error type with
/// the file's name (`DataError.compression`, `FormatError.compression`). Package-internal: other modules of FineTune
/// use it, users do not see it.
package enum Zlib {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    package static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// zlib's CRC-32 of `buffer`, as zip archives and PNG chunks use it.
    package static func crc32(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CZlib.crc32(0, nil, 0)
        var offset = 0
        while offset < buffer.count {
            let chunk = min(buffer.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, buffer.baseAddress.map { ($0 + offset).assumingMemoryBound(to: Bytef.self) }, uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// Runs one zlib call and throws unless its status is in `accepted`.
    ///
    /// The error text is zlib's own message for the stream when it set one, else the text for the status code.
    @discardableResult
    static func call(_ name: String, stream: UnsafeMutablePointer<z_stream>? = nil, accepting accepted: [Int32] = [Z_OK],
                     _ body: () -> Int32) throws(ZlibError) -> Int32 {
        let status = body()
        guard accepted.contains(status) else {
            let message = stream?.pointee.msg.map { String(cString: $0) }
                ?? zError(status).map { String(cString: $0) }
                ?? "status \(status)"
            throw ZlibError(call: name, message: "\(message) (status \(status))")
        }
        return status
    }
}

/// A zlib call failed, or the compressed data is corrupt, truncated or not what was announced.
package struct ZlibError: Error, Equatable {
    /// The zlib function that failed (e.g. `inflate`).
    package let call: String
    /// What went wrong: zlib's message and status, or FineTune's own check.
    package let message: String
}
