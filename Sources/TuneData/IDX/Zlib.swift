import CZlib

/// The one place FineTune calls zlib: every call goes through ``call(_:path:stream:accepting:_:)``, which turns
/// status codes into thrown ``DataError/compression(path:call:status:)`` values naming the file.
enum Zlib {
    /// Runs one zlib call and throws unless its status is in `accepted`.
    ///
    /// The error text is zlib's own message for the stream when it set one, else the text for the status code.
    @discardableResult
    static func call(_ name: String, path: String, stream: UnsafeMutablePointer<z_stream>? = nil,
                     accepting accepted: [Int32] = [Z_OK], _ body: () -> Int32) throws -> Int32 {
        let status = body()
        guard accepted.contains(status) else {
            let message = stream?.pointee.msg.map { String(cString: $0) }
                ?? zError(status).map { String(cString: $0) }
                ?? "status \(status)"
            throw DataError.compression(path: path, call: name, status: "\(message) (status \(status))")
        }
        return status
    }

    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Decompresses gzip (or zlib) data, including several concatenated gzip members, naming `path` in errors.
    ///
    /// Throws when the stream is corrupt or ends early (a truncated download, for instance).
    static func inflate(_ compressed: UnsafeRawBufferPointer, path: String) throws -> [UInt8] {
        guard let input = compressed.baseAddress, compressed.count > 0 else {
            throw DataError.compression(path: path, call: "inflate", status: "the compressed data is empty")
        }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        // 15 + 32: the largest window, with the gzip or zlib header detected automatically.
        try call("inflateInit2_", path: path, stream: stream) {
            inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        }
        defer { _ = try? call("inflateEnd", path: path, stream: stream) { inflateEnd(stream) } }

        var output = [UInt8]()
        output.reserveCapacity(expectedSize(compressed))
        let chunkSize = 1 << 20
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var offset = 0
        while true {
            // zlib counts input in 32-bit units, so very large inputs are fed in slices.
            let size = min(compressed.count - offset, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(
                mutating: (input + offset).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(size)
            var status = Z_OK
            repeat {
                let produced = try chunk.withUnsafeMutableBufferPointer { buffer -> Int in
                    stream.pointee.next_out = buffer.baseAddress
                    stream.pointee.avail_out = uInt(chunkSize)
                    status = try call("inflate", path: path, stream: stream, accepting: [Z_OK, Z_STREAM_END, Z_BUF_ERROR]) {
                        CZlib.inflate(stream, Z_NO_FLUSH)
                    }
                    return chunkSize - Int(stream.pointee.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
            } while status == Z_OK && (stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0)
            offset += size - Int(stream.pointee.avail_in)

            if status == Z_STREAM_END {
                if offset == compressed.count { return output }
                // Another gzip member follows: start over on the rest of the input.
                try call("inflateReset", path: path, stream: stream) { inflateReset(stream) }
            } else if stream.pointee.avail_in > 0 {
                throw DataError.compression(path: path, call: "inflate", status: "no progress on the compressed data")
            } else if offset == compressed.count {
                throw DataError.compression(path: path, call: "inflate",
                                            status: "unexpected end of compressed data (the file is truncated)")
            }
        }
    }

    /// The uncompressed size a single-member gzip stream records in its trailer (modulo 2³²), capped for safety.
    private static func expectedSize(_ compressed: UnsafeRawBufferPointer) -> Int {
        guard isGzip(compressed), compressed.count >= 18 else { return compressed.count * 4 }
        let tail = compressed.count - 4
        let recorded = Int(compressed[tail]) | Int(compressed[tail + 1]) << 8
            | Int(compressed[tail + 2]) << 16 | Int(compressed[tail + 3]) << 24
        return min(max(recorded, compressed.count), 1 << 30)
    }
}
