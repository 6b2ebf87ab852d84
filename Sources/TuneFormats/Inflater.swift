import CZlib

/// The zlib calls TuneFormats makes: raw-deflate decompression and CRC-32, with statuses turned into
/// ``FormatError/compression(file:entry:message:)`` values naming the file and entry.
enum Inflater {
    /// Decompresses a raw deflate stream (zip method 8) that must produce exactly `expectedSize` bytes.
    static func inflateRaw(_ compressed: UnsafeRawBufferPointer, expectedSize: Int, file: String, entry: String) throws -> [UInt8] {
        func failure(_ message: String) -> FormatError { .compression(file: file, entry: entry, message: message) }
        // Deflate cannot expand data by more than about 1032:1, so a larger claim is a lie; zlib counts in 32 bits.
        guard expectedSize <= compressed.count * 1032 + 64, expectedSize < Int(UInt32.max),
              compressed.count < Int(UInt32.max) else {
            throw failure("an uncompressed size of \(expectedSize) bytes is impossible for \(compressed.count) compressed bytes")
        }
        var output = [UInt8](repeating: 0, count: expectedSize)
        var stream = z_stream()
        let initialized = inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initialized == Z_OK else { throw failure("inflateInit2 status \(initialized)") }
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

/// zlib's CRC-32, as zip archives use it.
enum CRC32 {
    static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc32(0, nil, 0)
        var offset = 0
        while offset < buffer.count {
            let chunk = min(buffer.count - offset, 1 << 30)
            crc = crc32(crc, buffer.baseAddress.map { ($0 + offset).assumingMemoryBound(to: Bytef.self) }, uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
