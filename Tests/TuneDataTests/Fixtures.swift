import Foundation
import TestFixtures
import TuneData
import TuneFormats

/// A fresh temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("TuneDataTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` as is.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `bytes` to `name` gzip-compressed.
    @discardableResult
    func writeGzip(_ name: String, _ bytes: [UInt8]) throws -> String {
        try write(name, gzipped(bytes))
    }

    /// The gzip compression of `bytes`.
    func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
        try Zlib.compress(bytes, container: .gzip)
    }
}

/// A small deterministic image file body: `count` images of `rows × cols` bytes.
func sampleImages(count: Int, rows: Int, cols: Int) -> [UInt8] {
    (0..<(count * rows * cols)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
}

/// Writes a Fashion-MNIST-shaped split (`count` 28×28 images and labels) into `directory`, gzip-compressed.
func writeFashionMNISTSplit(prefix: String, count: Int, labels: [UInt8], into directory: TemporaryDirectory) throws {
    let images = try IDXFile.encode(dimensions: [count, 28, 28], bytes: sampleImages(count: count, rows: 28, cols: 28))
    try directory.writeGzip("\(prefix)-images-idx3-ubyte.gz", images)
    try directory.writeGzip("\(prefix)-labels-idx1-ubyte.gz", try IDXFile.encode(dimensions: [count], bytes: labels))
}

extension Fixture {
    /// The real Fashion-MNIST training files where ``FashionMNIST/directory`` points.
    static let fashionMNIST = Fixture("Fashion-MNIST in \(FashionMNIST.directory)",
                                      remedy: "install Debian's dataset-fashion-mnist (scripts/setup.sh does) or set FINETUNE_FASHION_MNIST_DIR") {
        let files = FashionMNIST.files(split: .train)
        return FileManager.default.fileExists(atPath: files.images) && FileManager.default.fileExists(atPath: files.labels)
    }
}
