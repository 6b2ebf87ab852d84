import Foundation
import Testing
import TestFixtures
import TuneCore
@testable import TuneData

@Suite("Data set tools")
struct DatasetToolsTests {
    @Test("Fashion-MNIST is written as PNG class folders with train and validation splits",
          .requires(.fashionMNIST))
    func writesFashionMNISTFolders() throws {
        let directory = try TemporaryDirectory()
        let out = directory.path("fmnist")
        let summary = try FashionMNISTExport.write(to: out, trainLimit: 50, validationLimit: 20)
        #expect(summary.classNames == FashionMNIST.classNames)
        #expect(summary.trainCounts.reduce(0, +) == 50)
        #expect(summary.validationCounts.reduce(0, +) == 20)
        let splits = try ImageFolderSplits(root: out, minimumClasses: 10)
        // Class indices follow sorted folder names, as in Keras.
        #expect(splits.training.classNames == FashionMNIST.classNames.sorted())
        let trainCounts = Dictionary(uniqueKeysWithValues: zip(summary.classNames, summary.trainCounts))
        let validationCounts = Dictionary(uniqueKeysWithValues: zip(summary.classNames, summary.validationCounts))
        #expect(splits.training.classCounts == splits.training.classNames.map { trainCounts[$0] ?? -1 })
        #expect(splits.validation?.classCounts == splits.training.classNames.map { validationCounts[$0] ?? -1 })
        // The first training image is an ankle boot; its pixels survive the PNG round trip exactly.
        let source = try FashionMNIST.load(split: .train, limit: 1)
        let written = try ImageCodec.decode(contentsOf: "\(out)/train/Ankle_boot/00000.png")
        #expect(written.width == 28 && written.height == 28 && written.channels == 1)
        #expect(written.pixels.map(Float.init) == source.inputs.scalars.map { ($0 * 255).rounded() })
        #expect { try FashionMNISTExport.write(to: out) } throws: { "\($0)".contains("already exists") }
    }

    @Test("--classes keeps only the named classes, and an unknown class is named in the error",
          .requires(.fashionMNIST))
    func writesChosenClasses() throws {
        let directory = try TemporaryDirectory()
        let out = directory.path("binary")
        let summary = try FashionMNISTExport.write(to: out, classes: ["Sneaker", "Ankle_boot"], trainLimit: 30, validationLimit: 10)
        #expect(summary.classNames == ["Sneaker", "Ankle_boot"])
        let splits = try ImageFolderSplits(root: out)
        #expect(splits.training.classNames == ["Ankle_boot", "Sneaker"])
        #expect(splits.training.count == 30)
        #expect { try FashionMNISTExport.write(to: directory.path("x"), classes: ["Sneaker", "Boots"]) } throws: {
            "\($0)".contains("unknown Fashion-MNIST class 'Boots'")
        }
    }

    @Test("inspection reports counts, sizes, skipped and unreadable files and train/validation duplicates")
    func inspectionReportsEverything() throws {
        let directory = try TemporaryDirectory()
        let trainPaths = try ImageTree.write(in: directory, folder: "d/train", counts: ["a": 3, "b": 2])
        try ImageTree.write(in: directory, folder: "d/validation", counts: ["a": 1, "b": 1], formats: [.jpeg], firstSeed: 100)
        let duplicate = directory.path("d/validation/a/copy.png")
        try FileManager.default.copyItem(atPath: trainPaths[0], toPath: duplicate)
        let broken = try directory.write("d/validation/b/broken.png", [0x89, 0x50, 0x4E, 0x47])
        try directory.write("d/train/a/notes.txt", [65])
        let report = try DatasetInspection(root: directory.path("d"))
        #expect(report.classNames == ["a", "b"])
        #expect(report.splits.map(\.name) == ["train", "validation"])
        #expect(report.splits[0].counts == [3, 2])
        #expect(report.splits[1].counts == [2, 2])
        #expect(report.splits[0].sizes == [DatasetInspection.SizeCount(size: "8×8×3", count: 5)])
        #expect(report.splits[0].skippedFiles.count == 1)
        #expect(report.splits[1].unreadableFiles.map(\.path) == [broken])
        #expect(report.duplicates == [DatasetInspection.Duplicate(train: trainPaths[0], validation: duplicate)])
        #expect(report.text.contains("Exact duplicates between train and validation: 1"))
        let json = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(DatasetInspection.self, from: json) == report)
    }
}
