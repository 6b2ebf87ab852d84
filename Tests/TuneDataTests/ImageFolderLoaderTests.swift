import Foundation
import Testing
import TuneCore
@testable import TuneData

/// Collects loader warnings across threads.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

func allBatches(_ source: some BatchSource, epoch: Int = 0) throws -> [Batch] {
    var iterator = try source.makeBatchIterator(epoch: epoch)
    var batches: [Batch] = []
    while let batch = try iterator.next() { batches.append(batch) }
    return batches
}

@Suite("Image folder loader")
struct ImageFolderLoaderTests {
    let preprocessing = ImagePreprocessing(height: 6, width: 5, normalization: .unitRange)

    func makeLoader(_ folder: ImageFolder, configure: (inout ImageFolderLoader.Options) -> Void = { _ in },
                    log: WarningLog = WarningLog()) throws -> ImageFolderLoader {
        var options = ImageFolderLoader.Options()
        options.batchSize = 4
        options.seed = 11
        configure(&options)
        return try ImageFolderLoader(folder: folder, preprocessing: preprocessing, options: options) { log.append($0) }
    }

    @Test("the same seed gives identical batches twice, and another epoch a different order")
    func sameSeedSameBatches() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 7, "b": 6])
        let folder = try ImageFolder(scanning: directory.path("d"))
        let first = try allBatches(makeLoader(folder) { $0.workers = 2 })
        let second = try allBatches(makeLoader(folder) { $0.workers = 1 })
        #expect(first.map(\.paths) == second.map(\.paths))
        #expect(first.map(\.inputs.scalars) == second.map(\.inputs.scalars))
        #expect(first.map(\.count) == [4, 4, 4, 1])
        #expect(Set(first.flatMap(\.paths)) == Set(folder.entries.map(\.path)))
        let nextEpoch = try allBatches(makeLoader(folder), epoch: 1)
        #expect(nextEpoch.flatMap(\.paths) != first.flatMap(\.paths))
    }

    @Test("without shuffling batches follow sorted file order and carry their paths and labels")
    func evaluationOrderIsSorted() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 3, "b": 4])
        let folder = try ImageFolder(scanning: directory.path("d"))
        let batches = try allBatches(makeLoader(folder) { $0.shuffle = false })
        #expect(batches.flatMap(\.paths) == folder.entries.map(\.path))
        #expect(batches.flatMap { $0.targets?.scalars ?? [] } == folder.entries.map { Float($0.classIndex) })
        #expect(batches[0].inputs.shape == [4, 3, 6, 5])
        // Each sample is exactly the decoded file rendered by the preprocessing.
        let sampleSize = preprocessing.outputCount
        for (batch, offset) in zip(batches, stride(from: 0, to: folder.count, by: 4)) {
            for row in 0..<batch.count {
                let image = try ImageCodec.decode(contentsOf: folder.entries[offset + row].path)
                var generator = SeededGenerator(seed: 0)
                let expected = try preprocessing.render(image, augmentation: .none, generator: &generator)
                #expect(Array(batch.inputs.scalars[(row * sampleSize)..<((row + 1) * sampleSize)]) == expected)
            }
        }
    }

    @Test("each label mode encodes classes as Keras does")
    func labelModes() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 2, "b": 2])
        let folder = try ImageFolder(scanning: directory.path("d"))
        let categorical = try allBatches(makeLoader(folder) { $0.shuffle = false; $0.labelMode = .categorical })
        #expect(categorical[0].targets?.shape == [4, 2])
        #expect(categorical[0].targets?.scalars == [1, 0, 1, 0, 0, 1, 0, 1])
        let binary = try allBatches(makeLoader(folder) { $0.shuffle = false; $0.labelMode = .binary })
        #expect(binary[0].targets?.shape == [4, 1])
        #expect(binary[0].targets?.scalars == [0, 0, 1, 1])
        let none = try allBatches(makeLoader(folder) { $0.shuffle = false; $0.labelMode = LabelMode.none })
        #expect(none[0].targets == nil)
        #expect(none[0].paths.count == 4)
        try ImageTree.write(in: directory, folder: "three", counts: ["a": 1, "b": 1, "c": 1])
        #expect { try makeLoader(ImageFolder(scanning: directory.path("three"))) { $0.labelMode = .binary } } throws: {
            "\($0)".contains("binary labels need exactly 2 classes")
        }
    }

    @Test("corrupt, truncated, empty, dangling and non-image files are skipped with a warning naming each, and counted")
    func badFilesAreSkipped() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 3, "b": 3])
        let good = try ImageCodec.encodePNG(ImageTree.image(seed: 5))
        let jpeg = try ImageCodec.encodeJPEG(ImageTree.image(seed: 6))
        let bad = [
            try directory.write("d/a/zero.png", []),
            try directory.write("d/a/truncated.png", Array(good.prefix(good.count / 2))),
            try directory.write("d/b/text.jpg", Array("this is not a picture".utf8)),
            try directory.write("d/b/corrupt.jpg", Array(jpeg.prefix(20)) + [UInt8](repeating: 0x55, count: 200)),
        ]
        let dangling = directory.path("d/b/dangling.png")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: directory.path("nowhere.png"))
        let log = WarningLog()
        let folder = try ImageFolder(scanning: directory.path("d"))
        #expect(folder.count == 11)
        let loader = try makeLoader(folder, configure: { $0.shuffle = false }, log: log)
        let batches = try allBatches(loader)
        #expect(batches.flatMap(\.paths).count == 6)
        #expect(Set(loader.unreadableFiles.keys) == Set(bad + [dangling]))
        #expect(log.all.count == 5)
        for path in bad + [dangling] { #expect(log.all.contains { $0.contains(path) }) }
        // Later epochs leave them out without warning again.
        #expect(loader.batchCount == 2)
        #expect(try allBatches(loader, epoch: 1).map(\.count) == [4, 2])
        #expect(log.all.count == 5)
    }

    @Test("with strict on, the first unreadable file fails the run naming the file")
    func strictFailsOnBadFile() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 2, "b": 2])
        let path = try directory.write("d/b/broken.png", [0x89, 0x50, 0x4E, 0x47, 1, 2, 3])
        let loader = try makeLoader(ImageFolder(scanning: directory.path("d"))) { $0.strict = true; $0.shuffle = false }
        #expect { try allBatches(loader) } throws: { "\($0)".contains(path) }
    }

    @Test("the decoded-image cache fills within its budget and gives the same batches")
    func cacheStaysWithinBudget() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 4, "b": 4])
        let folder = try ImageFolder(scanning: directory.path("d"))
        let plain = try allBatches(makeLoader(folder))
        let loader = try makeLoader(folder) { $0.cacheBytes = 8 * 8 * 3 * 5 }
        let cached = try allBatches(loader)
        let again = try allBatches(loader)
        #expect(cached.map(\.inputs.scalars) == plain.map(\.inputs.scalars))
        #expect(again.map(\.inputs.scalars) == plain.map(\.inputs.scalars))
    }

    @Test("augmentation is seeded per sample: the same seed repeats it whatever the thread count")
    func augmentationIsSeeded() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 4, "b": 4])
        let folder = try ImageFolder(scanning: directory.path("d"))
        var augmentation = Augmentation.none
        augmentation.horizontalFlip = true
        augmentation.brightness = 0.2
        let one = try allBatches(makeLoader(folder) { $0.augmentation = augmentation; $0.workers = 1 })
        let two = try allBatches(makeLoader(folder) { $0.augmentation = augmentation; $0.workers = 2 })
        let plain = try allBatches(makeLoader(folder))
        #expect(one.map(\.inputs.scalars) == two.map(\.inputs.scalars))
        #expect(one.map(\.inputs.scalars) != plain.map(\.inputs.scalars))
    }

    @Test("stopping early releases the background workers")
    func earlyStopIsClean() throws {
        let directory = try TemporaryDirectory()
        try ImageTree.write(in: directory, folder: "d", counts: ["a": 20, "b": 20])
        let loader = try makeLoader(ImageFolder(scanning: directory.path("d")))
        for _ in 0..<5 {
            var iterator = try loader.makeBatchIterator(epoch: 0)
            _ = try iterator.next()
        }
        #expect(try allBatches(loader).count == 10)
    }
}
