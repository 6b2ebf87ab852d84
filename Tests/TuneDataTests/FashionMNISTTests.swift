import Foundation
import Testing
import TestFixtures
import TuneData

@Suite("Fashion-MNIST")
struct FashionMNISTTests {
    @Test("ten class names in label order")
    func classNames() {
        #expect(FashionMNIST.classNames.count == 10)
        #expect(FashionMNIST.classNames.first == "T-shirt_top")
        #expect(FashionMNIST.classNames.last == "Ankle_boot")
    }

    @Test("a split written by the test loads as [N, 1, 28, 28] in [0, 1] with its labels")
    func loadsFixtureSplit() throws {
        let directory = try TemporaryDirectory()
        let labels: [UInt8] = [3, 1, 4, 1, 5]
        try writeFashionMNISTSplit(prefix: "t10k", count: 5, labels: labels, into: directory)
        let test = try FashionMNIST.load(split: .test, directory: directory.url.path)
        #expect(test.inputs.shape == [5, 1, 28, 28])
        #expect(test.labels == [3, 1, 4, 1, 5])
        #expect(test.count == 5)
        let expected = sampleImages(count: 5, rows: 28, cols: 28).map { Float($0) / 255 }
        #expect(test.inputs.scalars == expected)

        let limited = try FashionMNIST.load(split: .test, limit: 2, directory: directory.url.path)
        #expect(limited.inputs.shape == [2, 1, 28, 28])
        #expect(limited.labels == [3, 1])
        #expect(try FashionMNIST.load(split: .test, limit: 99, directory: directory.url.path).count == 5)
        #expect(throws: DataError.self) { try FashionMNIST.load(split: .test, limit: -1, directory: directory.url.path) }
    }

    @Test("a missing split names the missing file")
    func missingSplitNamesFile() throws {
        let directory = try TemporaryDirectory()
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(split: .train, directory: directory.url.path) }
        #expect(error == .fileNotFound(path: directory.path("train-images-idx3-ubyte.gz")))
        #expect(error?.description.contains("train-images-idx3-ubyte.gz") == true)
    }

    @Test("image and label counts must agree")
    func countsMustAgree() throws {
        let directory = try TemporaryDirectory()
        try writeFashionMNISTSplit(prefix: "train", count: 3, labels: [0, 1, 2], into: directory)
        try directory.writeGzip("train-labels-idx1-ubyte.gz", try IDXFile.encode(dimensions: [2], bytes: [0, 1]))
        #expect(throws: DataError.self) { try FashionMNIST.load(split: .train, directory: directory.url.path) }
    }

    @Test("images of another size are rejected")
    func rejectsOtherImageSizes() throws {
        let directory = try TemporaryDirectory()
        try directory.writeGzip("t10k-images-idx3-ubyte.gz",
                                try IDXFile.encode(dimensions: [1, 2, 2], bytes: [1, 2, 3, 4]))
        try directory.writeGzip("t10k-labels-idx1-ubyte.gz", try IDXFile.encode(dimensions: [1], bytes: [0]))
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(split: .test, directory: directory.url.path) }
        #expect(error == .unexpectedShape(path: directory.path("t10k-images-idx3-ubyte.gz"), found: [1, 2, 2],
                                          expected: "[N, 28, 28]"))
    }

    @Test("uncompressed files are used when no .gz file exists")
    func readsUncompressedSplit() throws {
        let directory = try TemporaryDirectory()
        try directory.write("t10k-images-idx3-ubyte",
                            try IDXFile.encode(dimensions: [1, 28, 28], bytes: sampleImages(count: 1, rows: 28, cols: 28)))
        try directory.write("t10k-labels-idx1-ubyte", try IDXFile.encode(dimensions: [1], bytes: [8]))
        #expect(try FashionMNIST.load(split: .test, directory: directory.url.path).labels == [8])
    }

    @Test("the real data set loads 60,000 training and 10,000 test images",
          .requires(.fashionMNIST))
    func loadsRealDataSet() throws {
        let train = try FashionMNIST.load(split: .train)
        #expect(train.inputs.shape == [60000, 1, 28, 28])
        #expect(train.labels.count == 60000)
        #expect(Array(train.labels.prefix(10)) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])

        let test = try FashionMNIST.load(split: .test)
        #expect(test.inputs.shape == [10000, 1, 28, 28])
        #expect(Array(test.labels.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])

        let firstImage = test.inputs.scalars.prefix(28 * 28)
        #expect(firstImage.allSatisfy { (0...1).contains($0) })
        #expect(firstImage.max() == 1)
        #expect(abs(firstImage.reduce(0, +) - 33456 / 255) < 1e-2)
        #expect(Set(train.labels) == Set(0..<10))
    }
}
