import CZlib

/// Decompression: gzip files (the IDX datasets) and raw deflate streams (zip entries).
extension Zlib {
    /// Decompresses gzip (or zlib) data, including several concatenated gzip members.
    ///
    /// Throws when the stream is corrupt or ends early (a truncated download, for instance).
    package static func gunzip(_ compressed: UnsafeRawBufferPointer) throws(ZlibError) -> [UInt8] {
        guard let input = compressed.baseAddress, compressed.count > 0 else {
            throw ZlibError(call: "inflate", message: "the compressed data is empty")
        }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        // 15 + 32: the largest window, with the gzip or zlib header detected automatically.
        try call("inflateInit2_", stream: stream) {
            inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        }
        defer { _ = inflateEnd(stream) }

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
                let produced = try chunk.withUnsafeMutableBufferPointer { buffer throws(ZlibError) -> Int in
                    stream.pointee.next_out = buffer.baseAddress
                    stream.pointee.avail_out = uInt(chunkSize)
                    status = try call("inflate", stream: stream, accepting: [Z_OK, Z_STREAM_END, Z_BUF_ERROR]) {
                        inflate(stream, Z_NO_FLUSH)
                    }
                    return chunkSize - Int(stream.pointee.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
            } while status == Z_OK && (stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0)
            offset += size - Int(stream.pointee.avail_in)

            if status == Z_STREAM_END {
                if offset == compressed.count { return output }
                // Another gzip member follows: start over on the rest of the input.
                try call("inflateReset", stream: stream) { inflateReset(stream) }
            } else if stream.pointee.avail_in > 0 {
                throw ZlibError(call: "inflate", message: "no progress on the compressed data")
            } else if offset == compressed.count {
                throw ZlibError(call: "inflate", message: "unexpected end of compressed data (the file is truncated)")
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

    /// Decompresses a raw deflate stream (zip method 8) that must produce exactly `expectedSize` bytes.
    package static func inflateRaw(_ compressed: UnsafeRawBufferPointer, expectedSize: Int) throws(ZlibError) -> [UInt8] {
        func failure(_ message: String) -> ZlibError { ZlibError(call: "inflate", message: message) }
        // Deflate cannot expand data by more than about 1032:1, so a larger claim is a lie; zlib counts in 32 bits.
        guard expectedSize <= compressed.count * 1032 + 64, expectedSize < Int(UInt32.max),
              compressed.count < Int(UInt32.max) else {
            throw failure("an uncompressed size of \(expectedSize) bytes is impossible for \(compressed.count) compressed bytes")
        }
        var output = [UInt8](repeating: 0, count: expectedSize)
        var stream = z_stream()
        let initialized = inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initialized == Z_OK else { throw ZlibError(call: "inflateInit2_", message: "inflateInit2 status \(initialized)") }
        defer { inflateEnd(&stream) }
        let status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
            stream.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(compressed.count)
            stream.next_out = buffer.baseAddress
            stream.avail_out = uInt(buffer.count)
            return inflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == expectedSize else {
            let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
            throw failure(status == Z_STREAM_END ? "produced \(stream.total_out) bytes, expected \(expectedSize)" : message)
        }
        return output
    }
}
