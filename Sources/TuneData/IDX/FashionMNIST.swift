import Foundation
import TuneCore

/// Fashion-MNIST: 28×28 grayscale images of clothing in 10 classes, 60,000 for training and 10,000 for testing,
/// read from the four gzip-compressed IDX files that Debian's `dataset-fashion-mnist` package installs.
public enum FashionMNIST {
    /// Which half of the data set to load.
    public enum Split: String, Sendable, CaseIterable {
        /// The 60,000 training samples (`train-*-ubyte.gz`).
        case train
        /// The 10,000 test samples (`t10k-*-ubyte.gz`).
        case test

        /// The file-name prefix of this split.
        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// The environment variable that overrides ``defaultDirectory``.
    public static let directoryEnvironmentVariable = "FINETUNE_FASHION_MNIST_DIR"

    /// The class names, indexed by label.
    public static let classNames = [
        "T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot",
    ]
    /// The image height and width.
    public static let imageSize = 28

    /// The directory to read from: `$FINETUNE_FASHION_MNIST_DIR` when set and non-empty, else ``defaultDirectory``.
    public static var directory: String {
        let override = ProcessInfo.processInfo.environment[directoryEnvironmentVariable] ?? ""
        return override.isEmpty ? defaultDirectory : override
    }

    /// The image and label file paths of `split` in `directory`. Each is the `.gz` file, or the uncompressed
    /// file of the same name without `.gz` when only that exists.
    public static func files(split: Split, directory: String? = nil) -> (images: String, labels: String) {
        let base = URL(fileURLWithPath: directory ?? Self.directory)
        func path(_ kind: String) -> String {
            let compressed = base.appendingPathComponent("\(split.filePrefix)-\(kind)-ubyte.gz").path
            let plain = base.appendingPathComponent("\(split.filePrefix)-\(kind)-ubyte").path
            let manager = FileManager.default
            return !manager.fileExists(atPath: compressed) && manager.fileExists(atPath: plain) ? plain : compressed
        }
        return (path("images-idx3"), path("labels-idx1"))
    }

    /// Loads a split as a dataset whose inputs are the images `[N, 1, 28, 28]` scaled to `[0, 1]` and whose
    /// labels are the class indices in `0..<10`.
    ///
    /// - Parameters:
    ///   - limit: keep only the first `limit` samples (all when `nil` or larger than the split).
    ///   - directory: where the files are; `nil` means ``directory``.
    /// - Throws: ``DataError`` naming the file when one is missing, compressed badly, truncated or malformed,
    ///   or when the image and label files disagree.
    public static func load(split: Split, limit: Int? = nil, directory: String? = nil) throws -> InMemoryDataset {
        if let limit, limit < 0 {
            throw DataError.invalidArgument(message: "limit must not be negative, got \(limit)")
        }
        let paths = files(split: split, directory: directory)
        let imageFile = try IDXFile(contentsOf: paths.images, expectedMagic: IDXFile.imagesMagic)
        let labelFile = try IDXFile(contentsOf: paths.labels, expectedMagic: IDXFile.labelsMagic)
        guard imageFile.dimensions[1] == imageSize, imageFile.dimensions[2] == imageSize else {
            throw DataError.unexpectedShape(path: paths.images, found: imageFile.dimensions,
                                            expected: "[N, \(imageSize), \(imageSize)]")
        }
        guard imageFile.dimensions[0] == labelFile.dimensions[0] else {
            throw DataError.inconsistent(message: "\(paths.images) holds \(imageFile.dimensions[0]) images but "
                                         + "\(paths.labels) holds \(labelFile.dimensions[0]) labels")
        }
        let count = min(imageFile.dimensions[0], limit ?? Int.max)
        let labels = labelFile.bytes.prefix(count).map(Int.init)
        if let bad = labels.first(where: { $0 >= classNames.count }) {
            throw DataError.inconsistent(message: "\(paths.labels) holds label \(bad), outside 0..<\(classNames.count)")
        }
        let pixels = count * imageSize * imageSize
        let images = Tensor(zeros: [count, 1, imageSize, imageSize])
        images.withUnsafeMutableBufferPointer { destination in
            imageFile.bytes.withUnsafeBufferPointer { source in
                for i in 0..<pixels { destination[i] = Float(source[i]) / 255 }
            }
        }
        return try InMemoryDataset(inputs: images, labels: labels)
    }
}
