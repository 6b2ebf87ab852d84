import Foundation
import Testing
import TuneCore
@testable import TuneFormats

/// Deliberately broken checkpoints: each must fail with the intended error and nothing else.
@Suite("Doctored checkpoints")
struct DoctoredCheckpointTests {
    typealias F = Fixtures

    func read(_ bytes: [UInt8]) throws -> StateDictionary {
        try F.with(bytes) { try WeightFile.read(bytes: $0, file: "bad.pth") }
    }

    /// `bytes` with the first occurrence of `old` replaced by `new`.
    static func replacing(_ old: String, with new: String, in bytes: [UInt8]) -> [UInt8] {
        let needle = Array(old.utf8)
        guard let start = (0...(bytes.count - needle.count)).first(where: { Array(bytes[$0..<($0 + needle.count)]) == needle })
        else { return bytes }
        return Array(bytes[..<start]) + Array(new.utf8) + Array(bytes[(start + needle.count)...])
    }

    static let simple: [Fixtures.StoredTensor] = [
        .init(name: "w", storage: [1, 2, 3, 4], shape: [2, 2]),
        .init(name: "b", storage: [5, 6], shape: [2]),
    ]

    @Test("legacy pickles naming os.system, builtins.eval or posix.system fail naming the global")
    func forbiddenLegacy() throws {
        let good = F.legacyCheckpoint(Self.simple)
        for (module, name) in [("os", "system"), ("builtins", "eval"), ("posix", "system")] {
            let bad = Self.replacing("torch._utils\n_rebuild_tensor_v2\n", with: "\(module)\n\(name)\n", in: good)
            #expect(throws: FormatError.forbiddenGlobal(file: "bad.pth", module: module, name: name)) { try read(bad) }
        }
    }

    @Test("a zip data.pkl naming os.system fails naming the global")
    func forbiddenZip() throws {
        var pickle = PickleWriter()
        pickle.global("os", "system")
        pickle.string("echo pwned")
        pickle.bytes.append(0x85)
        pickle.reduce()
        pickle.stop()
        var zip = ZipWriter(file: "bad.pth")
        try zip.add("archive/data.pkl", pickle.bytes)
        try zip.add("archive/version", Array("3\n".utf8))
        #expect(throws: FormatError.forbiddenGlobal(file: "bad.pth", module: "os", name: "system")) {
            try read(try zip.finish())
        }
    }

    @Test("a truncated legacy storage fails naming its key")
    func truncatedLegacy() throws {
        let good = F.legacyCheckpoint(Self.simple)
        #expect(throws: FormatError.truncatedStorage(file: "bad.pth", key: "1", expectedBytes: 8, actualBytes: 6)) {
            try read(Array(good.dropLast(2)))
        }
        #expect(throws: FormatError.truncatedStorage(file: "bad.pth", key: "1", expectedBytes: 8, actualBytes: 3)) {
            try read(Array(good.dropLast(13)))
        }
    }

    @Test("a zip storage shorter than its persistent id fails naming its key")
    func truncatedZip() throws {
        var archive = ZipWriter(file: "bad.pth")
        let good = try PyTorchZipWriter.encode(try StateDictionary([("t", Tensor(shape: [3], scalars: [1, 2, 3]))]), file: "x")
        let pickle = try F.with(good) { buffer in
            let zip = try ZipArchive(buffer, file: "x")
            return try zip.withContents(of: try #require(zip.entry(named: "archive/data.pkl"))) { Array($0) }
        }
        try archive.add("archive/data.pkl", pickle)
        try archive.add("archive/data/0", F.encode([1, 2], as: .float32))
        #expect(throws: FormatError.truncatedStorage(file: "bad.pth", key: "0", expectedBytes: 12, actualBytes: 8)) {
            try read(try archive.finish())
        }
    }

    @Test("a size and stride reaching past the storage fail naming the tensor")
    func wrongShape() throws {
        let bytes = F.legacyCheckpoint([.init(name: "w", storage: [1, 2, 3, 4], shape: [3, 3])])
        #expect(throws: FormatError.invalidTensor(file: "bad.pth", key: "w",
                                                  message: "size [3, 3], stride [3, 1] and offset 0 reach element 8 of a storage with 4")) {
            try read(bytes)
        }
        let negative = F.legacyCheckpoint([.init(name: "n", storage: [1, 2], shape: [2], offset: 1)])
        #expect(throws: FormatError.invalidTensor(file: "bad.pth", key: "n",
                                                  message: "size [2], stride [1] and offset 1 reach element 2 of a storage with 2")) {
            try read(negative)
        }
    }

    @Test("a zip whose central directory points at a bad local-header offset is refused")
    func badLocalHeaderOffset() throws {
        var bytes = try PyTorchZipWriter.encode(try F.smallState(), file: "bad.pth")
        // The first central directory entry's local header offset (at +42) moved off its header.
        let directory = Int(bytes[bytes.count - 6]) | Int(bytes[bytes.count - 5]) << 8 | Int(bytes[bytes.count - 4]) << 16
        bytes[directory + 42] = 7
        #expect(throws: FormatError.malformedZip(file: "bad.pth", offset: 7,
                                                 message: "entry archive/data.pkl: no local header at its recorded offset")) {
            try read(bytes)
        }
        // Past the end of the file.
        bytes[directory + 45] = 0x7f
        #expect(throws: FormatError.self) { try read(bytes) }
    }

    @Test("a corrupted stored entry fails its CRC check; a missing storage entry is named")
    func crcAndMissing() throws {
        var bytes = try PyTorchZipWriter.encode(try F.smallState(), file: "bad.pth")
        let storageStart = try F.with(bytes) { try ZipArchive($0, file: "x").entry(named: "archive/data/1")?.dataOffset } ?? 0
        bytes[storageStart] ^= 0xff
        let error = Self.error { try read(bytes) }
        guard case let .malformedZip(_, _, message)? = error else {
            Issue.record("expected malformedZip, got \(String(describing: error))")
            return
        }
        #expect(message == "entry archive/data/1 fails its CRC-32 check")

        var archive = ZipWriter(file: "bad.pth")
        let pickle = try F.with(try PyTorchZipWriter.encode(try F.smallState(), file: "x")) { buffer in
            let zip = try ZipArchive(buffer, file: "x")
            return try zip.withContents(of: try #require(zip.entry(named: "archive/data.pkl"))) { Array($0) }
        }
        try archive.add("archive/data.pkl", pickle)
        #expect(throws: FormatError.missingEntry(file: "bad.pth", entry: "archive/data/0")) { try read(try archive.finish()) }
    }

    @Test("unknown bytes are not a weight file")
    func unknown() throws {
        #expect(throws: FormatError.unknownFormat(path: "bad.pth")) { try read(Array("hello world".utf8)) }
        #expect(throws: FormatError.unknownFormat(path: "bad.pth")) { try read([]) }
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).pth").path
        #expect(throws: FormatError.fileNotFound(path: missing)) { try WeightFile.read(path: missing) }
    }

    /// The FormatError `body` throws, if any.
    static func error(_ body: () throws -> Any) -> FormatError? {
        do {
            _ = try body()
            return nil
        } catch let error as FormatError {
            return error
        } catch {
            return nil
        }
    }
}
