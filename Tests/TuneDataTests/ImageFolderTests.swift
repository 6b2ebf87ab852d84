import Foundation
import Testing
import TuneCore
@testable import TuneData

/// Writes class folders of small generated images.
enum ImageTree {
    /// A `size`×`size` image whose pixels encode `seed`, so different files differ.
    static func image(seed: Int, size: Int = 8, channels: Int = 3) throws -> PixelImage {
        let pixels = (0..<(size * size * channels)).map { UInt8((($0 * 7) + seed * 31) % 251) }
        return try PixelImage(width: size, height: size, channels: channels, pixels: pixels)
    }

    /// Writes `counts[class]` images per class under `folder/<class>/`, alternating PNG and JPEG; returns the paths.
    @discardableResult
    static func write(in directory: TemporaryDirectory, folder: String, counts: [String: Int],
                      formats: [ImageFormat] = [.png, .jpeg], firstSeed: Int = 0) throws -> [String] {
        var paths: [String] = []
        var seed = firstSeed
        for (name, count) in counts.sorted(by: { $0.key < $1.key }) {
            try FileManager.default.createDirectory(atPath: directory.path("\(folder)/\(name)"), withIntermediateDirectories: true)
            for index in 0..<count {
                let format = formats[index % formats.count]
                let image = try image(seed: seed)
                seed += 1
                let bytes = format == .png ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image, quality: 95)
                paths.append(try directory.write("\(folder)/\(name)/img\(index).\(format == .png ? "png" : "jpg")", bytes))
            }
        }
        return paths
    }
}

@Suite("Image folder discovery")
struct ImageFolderTests {
    @Test("classes are the sorted folder names; files are found recursively, hidden entries ignored, others skipped")
    func discoversClassesAndFiles() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "data", counts: ["dogs": 3, "cats": 2])
        try FileManager.default.createDirectory(atPath: directory.path("data/cats/nested"), withIntermediateDirectories: true)
        try directory.write("data/cats/nested/deep.png", ImageCodec.encodePNG(ImageTree.image(seed: 99)))
        try directory.write("data/cats/notes.txt", Array("hello".utf8))
        try directory.write("data/cats/.hidden.png", [1, 2, 3])
        try FileManager.default.createDirectory(atPath: directory.path("data/.git"), withIntermediateDirectories: true)
        try directory.write("data/README.md", Array("x".utf8))
        let folder = try ImageFolder(scanning: directory.path("data"))
        #expect(folder.classNames == ["cats", "dogs"])
        #expect(folder.classCounts == [3, 3])
        #expect(folder.entries.map(\.classIndex) == [0, 0, 0, 1, 1, 1])
        #expect(folder.entries.map(\.path) == folder.entries.map(\.path).sorted())
        #expect(folder.entries.contains { $0.path.hasSuffix("nested/deep.png") })
        #expect(!folder.entries.contains { $0.path.contains(".hidden") })
        #expect(folder.skippedFiles.count == 2)
        #expect(folder.skippedFiles.contains { $0.hasSuffix("notes.txt") })
        #expect(folder.summary.hasPrefix("Found 6 images belonging to 2 classes"))
        #expect(folder.summary.contains("(cats: 3, dogs: 3); skipped 2 non-image file(s)."))
    }

    @Test("train and validation folders are used when present, validation with the training classes")
    func usesTrainAndValidationFolders() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d/train", counts: ["a": 2, "b": 2])
        try ImageTree.write(in: directory, folder: "d/validation", counts: ["a": 1, "b": 1])
        let splits = try ImageFolderSplits(root: directory.path("d"))
        #expect(splits.validationSource == .folder)
        #expect(splits.training.classCounts == [2, 2])
        #expect(splits.validation?.classCounts == [1, 1])
        #expect(splits.validation?.classNames == ["a", "b"])
    }

    @Test("a seeded validation split is stratified, reproducible and disjoint")
    func validationSplitIsSeeded() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 10, "b": 5])
        let first = try ImageFolderSplits(root: directory.path("d"), validationFraction: 0.2, seed: 7)
        let second = try ImageFolderSplits(root: directory.path("d"), validationFraction: 0.2, seed: 7)
        let other = try ImageFolderSplits(root: directory.path("d"), validationFraction: 0.2, seed: 8)
        #expect(first.validationSource == .split)
        #expect(first.validation?.classCounts == [2, 1])
        #expect(first.training.classCounts == [8, 4])
        #expect(first.validation == second.validation)
        #expect(first.validation != other.validation)
        let trainPaths = Set(first.training.entries.map(\.path))
        #expect(first.validation?.entries.allSatisfy { !trainPaths.contains($0.path) } == true)
    }

    @Test("a missing root, an empty class folder, a single class and no class folders fail with clear messages")
    func badLayoutsFail() throws {
        let directory = try TemporaryDirectory()
        #expect { try ImageFolder(scanning: directory.path("missing")) } throws: { "\($0)".contains("missing: folder not found") }
        try ImageTree.write(in: directory, folder: "one", counts: ["only": 2])
        #expect { try ImageFolder(scanning: directory.path("one"), minimumClasses: 2) } throws: {
            "\($0)".contains("found 1 class folder (only)") && "\($0)".contains("at least 2")
        }
        try ImageTree.write(in: directory, folder: "empty", counts: ["a": 2])
        try FileManager.default.createDirectory(atPath: directory.path("empty/b"), withIntermediateDirectories: true)
        try directory.write("empty/b/readme.txt", [65])
        #expect { try ImageFolder(scanning: directory.path("empty")) } throws: {
            "\($0)".contains("empty/b") && "\($0)".contains("class folder 'b' has no JPEG or PNG images")
        }
        try FileManager.default.createDirectory(atPath: directory.path("flat"), withIntermediateDirectories: true)
        try directory.write("flat/x.png", ImageCodec.encodePNG(ImageTree.image(seed: 1)))
        #expect { try ImageFolder(scanning: directory.path("flat")) } throws: { "\($0)".contains("no class folders") }
        #expect { try ImageFolder(scanning: directory.path("flat/x.png")) } throws: { "\($0)".contains("not a folder") }
    }

    @Test("validation classes unknown to training are refused")
    func unknownValidationClassIsRefused() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d/train", counts: ["a": 1, "b": 1])
        try ImageTree.write(in: directory, folder: "d/validation", counts: ["a": 1, "c": 1])
        #expect { try ImageFolderSplits(root: directory.path("d")) } throws: { "\($0)".contains("[\"c\"]") }
    }
}
