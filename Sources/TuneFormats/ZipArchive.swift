
/// A read-only view of a zip archive's entries, validated against the file before any entry is read:
/// the end-of-central-directory record (zip64 too), every central directory entry, and every local header's
/// offset, name and data range. Stored and deflated entries are supported; CRC-32s are checked on read.
struct ZipArchive {
    /// One file in the archive.
    struct Entry {
        let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
        /// Where the entry's (possibly compressed) bytes start.
        let dataOffset: Int
    }

    let bytes: UnsafeRawBufferPointer
    let file: String
    /// The entries in central directory order.
    private(set) var entries: [Entry] = []
    private var byName: [String: Int] = [:]

    /// Whether `bytes` start with a local file header signature.
    static func isZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4b && bytes[2] == 0x03 && bytes[3] == 0x04
    }

    init(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        self.bytes = bytes
        self.file = file
        let (count, directoryOffset, directorySize) = try endOfCentralDirectory()
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw malformed(directoryOffset, "the central directory lies outside the file")
        }
        guard count <= directorySize / 46 else { throw malformed(directoryOffset, "\(count) entries cannot fit the central directory") }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<(directoryOffset + directorySize)]), file: file,
                                offset: directoryOffset)
        for _ in 0..<count {
            let start = reader.offset
            guard try reader.uint32("a central directory entry") == 0x0201_4b50 else {
                throw malformed(start, "bad central directory signature")
            }
            _ = try reader.take(4, "a central directory entry")
            let flags = try reader.uint16("a central directory entry")
            let method = try reader.uint16("a central directory entry")
            _ = try reader.take(4, "a central directory entry")
            let crc = try reader.uint32("a central directory entry")
            var compressed = UInt64(try reader.uint32("a central directory entry"))
            var uncompressed = UInt64(try reader.uint32("a central directory entry"))
            let nameLength = Int(try reader.uint16("a central directory entry"))
            let extraLength = Int(try reader.uint16("a central directory entry"))
            let commentLength = Int(try reader.uint16("a central directory entry"))
            _ = try reader.take(8, "a central directory entry")
            var localOffset = UInt64(try reader.uint32("a central directory entry"))
            let nameBytes = try reader.take(nameLength, "an entry name")
            var extra = ByteReader(try reader.take(extraLength, "an entry's extra field"), file: file)
            _ = try reader.take(commentLength, "an entry comment")
            guard let name = String(validating: nameBytes, as: UTF8.self) else { throw malformed(start, "entry name is not UTF-8") }
            guard flags & 1 == 0 else { throw FormatError.unsupported(file: file, message: "encrypted zip entry \(name)") }
            // Zip64: the real values of saturated fields follow in extra field 0x0001, in this order.
            while extra.remaining >= 4 {
                let id = try extra.uint16("a zip extra field")
                let size = Int(try extra.uint16("a zip extra field"))
                var field = ByteReader(try extra.take(size, "a zip extra field"), file: file)
                guard id == 1 else { continue }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try field.uint64("a zip64 size") }
                if compressed == 0xFFFF_FFFF { compressed = try field.uint64("a zip64 size") }
                if localOffset == 0xFFFF_FFFF { localOffset = try field.uint64("a zip64 offset") }
            }
            let limit = UInt64(directoryOffset)
            guard compressed <= limit, localOffset <= limit, uncompressed <= UInt64(Int.max / 2) else {
                throw malformed(start, "entry \(name) has sizes or offsets beyond the central directory")
            }
            let entryOffset = Int(localOffset)
            let dataOffset = try localData(at: entryOffset, name: name, directoryOffset: directoryOffset)
            guard Int(compressed) <= directoryOffset - dataOffset else {
                throw malformed(entryOffset, "entry \(name) runs past the central directory")
            }
            guard method == 0 || method == 8 else {
                throw FormatError.unsupported(file: file, message: "zip compression method \(method) for \(name)")
            }
            guard method != 0 || compressed == uncompressed else {
                throw malformed(start, "stored entry \(name) has different compressed and uncompressed sizes")
            }
            guard byName[name] == nil else { throw malformed(start, "duplicate entry \(name)") }
            byName[name] = entries.count
            entries.append(Entry(name: name, method: method, crc: crc, compressedSize: Int(compressed),
                                 uncompressedSize: Int(uncompressed), localHeaderOffset: entryOffset, dataOffset: dataOffset))
        }
    }

    private func malformed(_ offset: Int, _ message: String) -> FormatError {
        .malformedZip(file: file, offset: offset, message: message)
    }

    /// Finds the end-of-central-directory record: (entry count, directory offset, directory size).
    private func endOfCentralDirectory() throws -> (Int, Int, Int) {
        guard bytes.count >= 22 else { throw malformed(0, "too short for an end-of-central-directory record") }
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while position >= lowest {
            if bytes[position] == 0x50, bytes[position + 1] == 0x4b, bytes[position + 2] == 5, bytes[position + 3] == 6 { break }
            position -= 1
        }
        guard position >= lowest else { throw malformed(bytes.count, "no end-of-central-directory record") }
        var reader = ByteReader(bytes, file: file, offset: position + 10)
        var count = UInt64(try reader.uint16("the end of central directory"))
        var size = UInt64(try reader.uint32("the end of central directory"))
        var offset = UInt64(try reader.uint32("the end of central directory"))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            guard position >= 20 else { throw malformed(position, "no zip64 locator") }
            var locator = ByteReader(bytes, file: file, offset: position - 20)
            guard try locator.uint32("the zip64 locator") == 0x0706_4b50 else { throw malformed(position - 20, "no zip64 locator") }
            _ = try locator.uint32("the zip64 locator")
            let record = try locator.uint64("the zip64 locator")
            guard record <= UInt64(bytes.count) else { throw malformed(position - 20, "zip64 record offset outside the file") }
            var zip64 = ByteReader(bytes, file: file, offset: Int(record))
            guard try zip64.uint32("the zip64 end of central directory") == 0x0606_4b50 else {
                throw malformed(Int(record), "bad zip64 end-of-central-directory signature")
            }
            _ = try zip64.take(28, "the zip64 end of central directory")
            count = try zip64.uint64("the zip64 end of central directory")
            size = try zip64.uint64("the zip64 end of central directory")
            offset = try zip64.uint64("the zip64 end of central directory")
        }
        guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count), count <= UInt64(bytes.count) else {
            throw malformed(position, "central directory outside the file")
        }
        return (Int(count), Int(offset), Int(size))
    }

    /// Validates the local header at `offset` for `name` and returns where its data starts.
    private func localData(at offset: Int, name: String, directoryOffset: Int) throws -> Int {
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<directoryOffset]), file: file, offset: offset)
        guard (try? reader.uint32("a local header")) == 0x0403_4b50 else {
            throw malformed(offset, "entry \(name): no local header at its recorded offset")
        }
        _ = try reader.take(22, "the local header of \(name)")
        let nameLength = Int(try reader.uint16("the local header of \(name)"))
        let extraLength = Int(try reader.uint16("the local header of \(name)"))
        let localName = try reader.take(nameLength, "the local header of \(name)")
        guard localName.elementsEqual(name.utf8) else {
            throw malformed(offset, "entry \(name): the local header names a different file")
        }
        _ = try reader.take(extraLength, "the local header of \(name)")
        return reader.offset
    }

    /// The entry named `name`, if any.
    func entry(named name: String) -> Entry? { byName[name].map { entries[$0] } }

    /// Calls `body` with the entry's uncompressed bytes, after checking its CRC-32.
    func withContents<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
        if entry.method == 0 {
            try checkCRC(raw, entry)
            return try body(raw)
        }
        let inflated: [UInt8]
        do throws(ZlibError) {
            inflated = try Zlib.inflateRaw(raw, expectedSize: entry.uncompressedSize)
        } catch {
            throw FormatError.compression(file: file, entry: entry.name, message: error.message)
        }
        return try inflated.withUnsafeBytes { buffer in
            try checkCRC(buffer, entry)
            return try body(buffer)
        }
    }

    private func checkCRC(_ buffer: UnsafeRawBufferPointer, _ entry: Entry) throws {
        guard Zlib.crc32(buffer) == entry.crc else {
            throw malformed(entry.localHeaderOffset, "entry \(entry.name) fails its CRC-32 check")
        }
    }
}
