import TuneCore

/// Writes a state dictionary in the zip format `torch.save` produces (and `torch.load(weights_only=True)` accepts):
/// `archive/data.pkl`, one stored `archive/data/<key>` per tensor with its bytes 64-byte aligned as PyTorch aligns
/// them, `archive/byteorder` and `archive/version`, with CRC-32s and a central directory. Tensors are written as
/// contiguous float32.
public enum PyTorchZipWriter {
    /// The alignment PyTorch gives entry data.
    static let alignment = 64

    /// Writes `state` to `path` atomically.
    public static func write(_ state: StateDictionary, to path: String) throws {
        try writeFileAtomically(try encode(state, file: path), to: path)
    }

    /// The archive bytes for `state`.
    static func encode(_ state: StateDictionary, file: String) throws -> [UInt8] {
        var pickle = PickleWriter()
        pickle.emptyOrderedDict()
        pickle.mark()
        for (index, entry) in state.entries.enumerated() {
            pickle.string(entry.name)
            pickle.global("torch._utils", "_rebuild_tensor_v2")
            pickle.mark()
            pickle.mark()
            pickle.string("storage")
            pickle.global("torch", "FloatStorage")
            pickle.string(String(index))
            pickle.string("cpu")
            pickle.int(entry.tensor.elementCount)
            pickle.tuple()
            pickle.persistentID()
            pickle.int(0)
            pickle.intTuple(entry.shape.dimensions)
            pickle.intTuple(entry.shape.strides)
            pickle.newFalse()
            pickle.emptyOrderedDict()
            pickle.tuple()
            pickle.reduce()
        }
        pickle.setItems()
        pickle.stop()

        var zip = ZipWriter(file: file)
        try zip.add("archive/data.pkl", pickle.bytes)
        try zip.add("archive/byteorder", Array("little".utf8))
        for (index, entry) in state.entries.enumerated() {
            var data = [UInt8]()
            data.reserveCapacity(entry.tensor.elementCount * 4)
            entry.tensor.withUnsafeBufferPointer { values in
                for value in values { data.appendLittleEndian(value.bitPattern) }
            }
            try zip.add("archive/data/\(index)", data)
        }
        try zip.add("archive/version", Array("3\n".utf8))
        return try zip.finish()
    }
}

/// A minimal zip writer: stored entries, PyTorch's `FB` padding extra field aligning data to 64 bytes, no zip64.
struct ZipWriter {
    let file: String
    private(set) var bytes: [UInt8] = []
    private var directory: [UInt8] = []
    private var count = 0

    init(file: String) { self.file = file }

    /// Appends a stored entry.
    mutating func add(_ name: String, _ data: [UInt8]) throws {
        let nameBytes = Array(name.utf8)
        guard bytes.count < Int(UInt32.max), data.count < Int(UInt32.max), nameBytes.count < 0xFFFF else {
            throw FormatError.writeFailed(path: file, message: "entry \(name) needs zip64, which the writer does not support")
        }
        let offset = bytes.count
        // PyTorch's padding: extra field "FB" + length, filled with "Z", so the data starts on a 64-byte boundary.
        let start = offset + 30 + nameBytes.count + 4
        let padding = (PyTorchZipWriter.alignment - start % PyTorchZipWriter.alignment) % PyTorchZipWriter.alignment
        var extra: [UInt8] = [0x46, 0x42]
        extra.appendLittleEndian(UInt16(padding))
        extra += [UInt8](repeating: 0x5a, count: padding)
        let crc = data.withUnsafeBytes { Zlib.crc32($0) }

        bytes.appendLittleEndian(UInt32(0x0403_4b50))
        bytes.appendLittleEndian(UInt16(20)) // version needed
        bytes.appendLittleEndian(UInt16(0)) // flags
        bytes.appendLittleEndian(UInt16(0)) // method: stored
        bytes.appendLittleEndian(UInt16(0)) // time
        bytes.appendLittleEndian(UInt16(0x21)) // date: 1980-01-01
        bytes.appendLittleEndian(crc)
        bytes.appendLittleEndian(UInt32(data.count))
        bytes.appendLittleEndian(UInt32(data.count))
        bytes.appendLittleEndian(UInt16(nameBytes.count))
        bytes.appendLittleEndian(UInt16(extra.count))
        bytes += nameBytes
        bytes += extra
        bytes += data

        directory.appendLittleEndian(UInt32(0x0201_4b50))
        directory.appendLittleEndian(UInt16(20)) // version made by
        directory.appendLittleEndian(UInt16(20)) // version needed
        directory.appendLittleEndian(UInt16(0))
        directory.appendLittleEndian(UInt16(0))
        directory.appendLittleEndian(UInt16(0))
        directory.appendLittleEndian(UInt16(0x21))
        directory.appendLittleEndian(crc)
        directory.appendLittleEndian(UInt32(data.count))
        directory.appendLittleEndian(UInt32(data.count))
        directory.appendLittleEndian(UInt16(nameBytes.count))
        directory.appendLittleEndian(UInt16(0)) // extra
        directory.appendLittleEndian(UInt16(0)) // comment
        directory.appendLittleEndian(UInt16(0)) // disk
        directory.appendLittleEndian(UInt16(0)) // internal attributes
        directory.appendLittleEndian(UInt32(0)) // external attributes
        directory.appendLittleEndian(UInt32(offset))
        directory += nameBytes
        count += 1
    }

    /// The archive with its central directory and end record.
    mutating func finish() throws -> [UInt8] {
        guard count < 0xFFFF, bytes.count + directory.count < Int(UInt32.max) else {
            throw FormatError.writeFailed(path: file, message: "the archive needs zip64, which the writer does not support")
        }
        let directoryOffset = bytes.count
        var result = bytes + directory
        result.appendLittleEndian(UInt32(0x0605_4b50))
        result.appendLittleEndian(UInt16(0))
        result.appendLittleEndian(UInt16(0))
        result.appendLittleEndian(UInt16(count))
        result.appendLittleEndian(UInt16(count))
        result.appendLittleEndian(UInt32(directory.count))
        result.appendLittleEndian(UInt32(directoryOffset))
        result.appendLittleEndian(UInt16(0))
        return result
    }
}
