import Foundation
import Testing
@testable import TuneModels

@Suite("Text model folders")
struct TextModelFolderTests {
    private func makeFolder(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("text-folder-\(UUID().uuidString)")
        for (name, text) in files {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return root
    }

    @Test("A Hugging Face cache folder resolves to the snapshot refs/main names, with its pooling")
    func huggingFaceCache() throws {
        let root = try makeFolder([
            "refs/main": "abc123\n",
            "snapshots/abc123/config.json": "{}", "snapshots/abc123/model.safetensors": "", "snapshots/abc123/vocab.txt": "[PAD]",
            "snapshots/abc123/1_Pooling/config.json": #"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#,
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try TextModelFolder(path: root.path)
        #expect(folder.path == root.appendingPathComponent("snapshots/abc123").path)
        #expect(folder.pooling == .cls)
        #expect(folder.weightsPath.hasSuffix("model.safetensors"))
    }

    @Test("A folder without weights or vocabulary is refused naming the file it lacks")
    func missingFiles() throws {
        let root = try makeFolder(["config.json": "{}", "pytorch_model.bin": ""])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: TextModelFolderError.missingFile(folder: root.path, file: "vocab.txt")) { try TextModelFolder(path: root.path) }
        try Data("[PAD]".utf8).write(to: root.appendingPathComponent("vocab.txt"))
        let folder = try TextModelFolder(path: root.path)
        #expect(folder.weightsPath.hasSuffix("pytorch_model.bin"))
        #expect(folder.pooling == nil)
        #expect(throws: TextModelFolderError.notAFolder(path: root.appendingPathComponent("vocab.txt").path)) {
            try TextModelFolder(path: root.appendingPathComponent("vocab.txt").path)
        }
    }
}
