import TuneCore

/// Reads PyTorch checkpoints written by `torch.save`: the zip format (PyTorch ≥ 1.6) and the legacy
/// concatenated-pickle format. Only allowlisted globals are accepted (see ``PickleGlobal``).
public enum PyTorchCheckpoint {
    /// The legacy format's magic number, `0x1950a86a20f9469cfc6c`, as LONG1 little-endian bytes.
    static let legacyMagic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    /// The state dictionary stored at `path`, in file order, every tensor converted to `Float`.
    public static func read(path: String) throws -> StateDictionary {
        let mapped = try MappedFile(path: path)
        return try mapped.withBytes { try read(bytes: $0, file: path) }
    }

    /// Reads checkpoint `bytes`, naming `file` in errors.
    static func read(bytes: UnsafeRawBufferPointer, file: String) throws -> StateDictionary {
        if ZipArchive.isZip(bytes) { return try readZip(bytes, file: file) }
        if isLegacy(bytes) || mayBeLegacy(bytes) { return try readLegacy(bytes, file: file) }
        throw FormatError.unknownFormat(path: file)
    }

    /// Whether `bytes` start exactly as `torch.save`'s default legacy output (`PROTO 2`, `LONG1` of 10 bytes).
    static func isLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x80 && bytes[1] == 0x02 && bytes[2] == 0x8a && bytes[3] == 0x0a
    }

    /// Whether `bytes` start with a `PROTO` opcode for protocols 2–5 (a legacy checkpoint saved with another
    /// `pickle_protocol`); ambiguous with some safetensors lengths, so sniffers test safetensors first.
    static func mayBeLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x80 && (2...5).contains(bytes[1])
    }

    // MARK: Zip

    static func readZip(_ bytes: UnsafeRawBufferPointer, file: String) throws -> StateDictionary {
        let archive = try ZipArchive(bytes, file: file)
        // The pickle is `<archive>/data.pkl` for any single top-level folder name.
        let candidates = archive.entries.filter {
            let parts = $0.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl"
        }
        guard let pickle = candidates.first else { throw FormatError.missingEntry(file: file, entry: "archive/data.pkl") }
        guard candidates.count == 1 else {
            throw FormatError.malformedZip(file: file, offset: 0, message: "several data.pkl entries")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = archive.entry(named: prefix + "byteorder") {
            let little = try archive.withContents(of: order) { $0.elementsEqual("little".utf8) }
            guard little else { throw FormatError.unsupported(file: file, message: "big-endian checkpoint") }
        }
        let views = try archive.withContents(of: pickle) { pickleBytes -> [(String, TorchTensorReference)] in
            var reader = ByteReader(pickleBytes, file: file)
            return try PickleMachine.load(&reader) { try TorchTensorLoading.namedViews($0, file: file) }
        }
        // Each storage entry is read (and CRC-checked) once, however many tensors view it.
        var tensors = [Tensor?](repeating: nil, count: views.count)
        var byKey: [String: [Int]] = [:]
        var keys: [String] = []
        for (index, (_, view)) in views.enumerated() {
            if byKey[view.storage.key] == nil { keys.append(view.storage.key) }
            byKey[view.storage.key, default: []].append(index)
        }
        for key in keys {
            let entryName = prefix + "data/" + key
            guard let entry = archive.entry(named: entryName) else { throw FormatError.missingEntry(file: file, entry: entryName) }
            try archive.withContents(of: entry) { storage in
                for index in byKey[key] ?? [] {
                    let (name, view) = views[index]
                    try checkStorage(view.storage, bytes: storage.count, file: file)
                    tensors[index] = try TorchTensorLoading.materialize(view, name: name, storage: storage, file: file)
                }
            }
        }
        var result = StateDictionary()
        for ((name, view), tensor) in zip(views, tensors) {
            guard let tensor else { throw FormatError.missingEntry(file: file, entry: prefix + "data/" + view.storage.key) }
            try result.append(name: name, tensor: tensor, dtype: view.storage.dtype, file: file)
        }
        return result
    }

    /// Throws when a storage holds fewer bytes than its persistent id announces.
    static func checkStorage(_ storage: TorchStorageReference, bytes: Int, file: String) throws {
        let (expected, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.byteSize)
        guard !overflow, bytes >= expected else {
            throw FormatError.truncatedStorage(file: file, key: storage.key, expectedBytes: overflow ? Int.max : expected,
                                               actualBytes: bytes)
        }
    }

    // MARK: Legacy

    static func readLegacy(_ bytes: UnsafeRawBufferPointer, file: String) throws -> StateDictionary {
        var reader = ByteReader(bytes, file: file)
        let magicOK = try PickleMachine.load(&reader) { value -> Bool in
            if case let .bigInt(digits) = value { return digits == legacyMagic }
            return false
        }
        guard magicOK else { throw FormatError.unknownFormat(path: file) }
        let protocolOffset = reader.offset
        let version = try PickleMachine.load(&reader) { value -> Int? in
            if case let .int(number) = value { return number }
            return nil
        }
        guard version == 1001 else {
            throw FormatError.malformedPickle(file: file, offset: protocolOffset, message: "unsupported legacy protocol version")
        }
        let systemOffset = reader.offset
        let littleEndian = try PickleMachine.load(&reader) { value -> Bool in
            guard case let .dict(info) = value, case let .bool(flag)? = info["little_endian"] else { return false }
            return flag
        }
        guard littleEndian else {
            throw FormatError.malformedPickle(file: file, offset: systemOffset, message: "sys-info is missing little_endian=True")
        }
        let (views, named) = try PickleMachine.loadWithStorages(&reader) { value, storages in
            (try TorchTensorLoading.namedViews(value, file: file), storages)
        }
        let keysOffset = reader.offset
        let keys = try PickleMachine.load(&reader) { value -> [String] in
            guard case let .list(list) = value else {
                throw FormatError.malformedPickle(file: file, offset: keysOffset, message: "storage keys are \(value.kind), not a list")
            }
            return try list.items.map {
                guard case let .string(key) = $0 else {
                    throw FormatError.malformedPickle(file: file, offset: keysOffset, message: "a storage key is \($0.kind)")
                }
                return key
            }
        }
        // Storages come from every persistent id, so ones used only by skipped values (lists…) can be stepped over.
        var storages: [String: TorchStorageReference] = [:]
        for storage in named { storages[storage.key] = storage }
        // Each storage: an int64 element count, then the raw little-endian elements.
        var ranges: [String: Range<Int>] = [:]
        for key in keys {
            guard let storage = storages[key] else {
                throw FormatError.malformedPickle(file: file, offset: keysOffset, message: "storage \(key) is named by no persistent id")
            }
            guard ranges[key] == nil else {
                throw FormatError.malformedPickle(file: file, offset: keysOffset, message: "storage \(key) is listed twice")
            }
            let headerOffset = reader.offset
            guard reader.remaining >= 8 else {
                throw FormatError.truncatedStorage(file: file, key: key, expectedBytes: 8, actualBytes: reader.remaining)
            }
            let count = try reader.int64("the element count of storage \(key)")
            let (byteCount, overflow) = Int(count).multipliedReportingOverflow(by: storage.dtype.byteSize)
            guard count >= 0, !overflow else {
                throw FormatError.invalidTensor(file: file, key: key, message: "storage at byte \(headerOffset) has \(count) elements")
            }
            guard byteCount <= reader.remaining else {
                throw FormatError.truncatedStorage(file: file, key: key, expectedBytes: byteCount, actualBytes: reader.remaining)
            }
            let start = reader.offset
            _ = try reader.take(byteCount, "storage \(key)")
            ranges[key] = start..<(start + byteCount)
        }
        var result = StateDictionary()
        for (name, view) in views {
            guard let range = ranges[view.storage.key] else {
                throw FormatError.missingEntry(file: file, entry: "storage \(view.storage.key) of \(name)")
            }
            let storage = UnsafeRawBufferPointer(rebasing: bytes[range])
            let tensor = try TorchTensorLoading.materialize(view, name: name, storage: storage, file: file)
            try result.append(name: name, tensor: tensor, dtype: view.storage.dtype, file: file)
        }
        return result
    }
}
