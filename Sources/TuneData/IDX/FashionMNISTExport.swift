import Foundation

/// Writes Fashion-MNIST as image folders (`out/train/<class>/`, `out/validation/<class>/`, PNG), the layout
/// FineTune and Keras read; the test set becomes the validation folder.
public enum FashionMNISTExport {
    /// What was written.
    public struct Summary: Sendable, Equatable {
        public let classNames: [String]
        public let trainCounts: [Int]
        public let validationCounts: [Int]
    }

    /// Writes the folders.
    ///
    /// - Parameters:
    ///   - classes: class names to keep (``FashionMNIST/classNames`` spelling), in any order; `nil` keeps all ten.
    ///   - trainLimit: the first N training images of the kept classes; `nil` for all.
    ///   - validationLimit: the first M test images of the kept classes; `nil` for all.
    ///   - overwrite: replace existing `train`/`validation` folders under `output` instead of refusing.
    public static func write(to output: String, classes: [String]? = nil, trainLimit: Int? = nil,
                             validationLimit: Int? = nil, overwrite: Bool = false,
                             directory: String? = nil) throws -> Summary {
        let wanted = classes ?? FashionMNIST.classNames
        if let unknown = wanted.first(where: { !FashionMNIST.classNames.contains($0) }) {
            throw DataError.invalidArgument(message: "unknown Fashion-MNIST class '\(unknown)'; the classes are "
                                            + FashionMNIST.classNames.joined(separator: ", "))
        }
        guard Set(wanted).count == wanted.count, !wanted.isEmpty else {
            throw DataError.invalidArgument(message: "classes must be distinct and non-empty, got \(wanted)")
        }
        for limit in [trainLimit, validationLimit].compactMap({ $0 }) where limit <= 0 {
            throw DataError.invalidArgument(message: "limits must be positive, got \(limit)")
        }
        let root = URL(fileURLWithPath: output)
        for part in ["train", "validation"] {
            let folder = root.appendingPathComponent(part)
            guard FileManager.default.fileExists(atPath: folder.path) else { continue }
            guard overwrite else {
                throw DataError.badFolder(path: folder.path, message: "already exists; pass overwrite to replace it")
            }
            try FileManager.default.removeItem(at: folder)
        }
        let keep = wanted.compactMap { FashionMNIST.classNames.firstIndex(of: $0) }
        let trainCounts = try writeSplit(.train, to: root.appendingPathComponent("train"), keep: keep, limit: trainLimit,
                                         directory: directory)
        let validationCounts = try writeSplit(.test, to: root.appendingPathComponent("validation"), keep: keep,
                                              limit: validationLimit, directory: directory)
        return Summary(classNames: keep.map { FashionMNIST.classNames[$0] }, trainCounts: trainCounts,
                       validationCounts: validationCounts)
    }

    private static func writeSplit(_ split: FashionMNIST.Split, to folder: URL, keep: [Int], limit: Int?,
                                   directory: String?) throws -> [Int] {
        let data = try FashionMNIST.load(split: split, directory: directory)
        let side = FashionMNIST.imageSize
        let pixelsPerImage = side * side
        var counts = [Int](repeating: 0, count: keep.count)
        for classIndex in keep {
            try createFolder(folder.appendingPathComponent(FashionMNIST.classNames[classIndex]))
        }
        var written = 0
        try data.inputs.withUnsafeBufferPointer { scaled in
            for (index, label) in data.labels.enumerated() {
                if let limit, written >= limit { break }
                guard let slot = keep.firstIndex(of: label) else { continue }
                let start = index * pixelsPerImage
                let bytes = (start..<(start + pixelsPerImage)).map { UInt8((scaled[$0] * 255).rounded()) }
                let image = try PixelImage(width: side, height: side, channels: 1, pixels: bytes)
                let name = String(format: "%05d.png", index)
                let path = folder.appendingPathComponent(FashionMNIST.classNames[label]).appendingPathComponent(name)
                try writeFile(ImageCodec.encodePNG(image), to: path)
                counts[slot] += 1
                written += 1
            }
        }
        return counts
    }

    private static func createFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw DataError.writeFailed(path: folder.path, message: "cannot create the folder: \(error.localizedDescription)")
        }
    }

    private static func writeFile(_ bytes: [UInt8], to url: URL) throws {
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw DataError.writeFailed(path: url.path, message: "cannot write the file: \(error.localizedDescription)")
        }
    }
}
