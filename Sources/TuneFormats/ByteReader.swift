/// A bounds-checked little-endian cursor over bytes; every read checks the remaining length first.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, file: String, offset: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.offset = offset
    }

    /// Bytes left after the cursor.
    var remaining: Int { max(0, bytes.count - offset) }

    /// The next `count` bytes, or a ``FormatError/truncated(file:offset:context:)`` naming `context`.
    mutating func take(_ count: Int, _ context: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, offset >= 0, count <= remaining else {
            throw FormatError.truncated(file: file, offset: offset, context: context)
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func uint8(_ context: String) throws -> UInt8 { try take(1, context)[0] }

    mutating func uint16(_ context: String) throws -> UInt16 {
        UInt16(littleEndian: try take(2, context).loadUnaligned(as: UInt16.self))
    }

    mutating func uint32(_ context: String) throws -> UInt32 {
        UInt32(littleEndian: try take(4, context).loadUnaligned(as: UInt32.self))
    }

    mutating func uint64(_ context: String) throws -> UInt64 {
        UInt64(littleEndian: try take(8, context).loadUnaligned(as: UInt64.self))
    }

    mutating func int32(_ context: String) throws -> Int32 { Int32(bitPattern: try uint32(context)) }
    mutating func int64(_ context: String) throws -> Int64 { Int64(bitPattern: try uint64(context)) }
}

/// Little-endian appends to a byte array, for the writers.
extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
