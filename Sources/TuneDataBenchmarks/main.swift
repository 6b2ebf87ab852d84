// tune-data-benchmarks: images per second through FineTune's image pipeline
// (scan → decode → resize → normalize → batch) on Fashion-MNIST written as PNG folders and as a JPEG copy,
// beside the raw decode rate, compared with Keras 3's figures on a 2-core machine.
//
//     swift run -c release tune-data-benchmarks [--size 224] [--images 20000] [--workers 2] [--folder DIR] [--json]

import Foundation
import TuneCore
import TuneData

struct Options {
    var size = 224
    var images = 20_000
    var workers = 2
    var batchSize = 32
    var folder: String?
    var json = false

    static let usage = """
        usage: tune-data-benchmarks [--size N] [--images N] [--workers N] [--batch-size N] [--folder DIR] [--json]
          --size N        output height and width (default 224)
          --images N      training images to write and read (default 20000)
          --workers N     decoding threads (default 2)
          --folder DIR    where to write the PNG and JPEG folders (default: a temporary folder, removed after)
          --json          print JSON instead of a table
        """

    init(arguments: [String]) throws {
        var remaining = arguments[...]
        func number(_ flag: String) throws -> Int {
            guard let text = remaining.popFirst(), let value = Int(text), value > 0 else {
                throw BenchmarkFailure("\(flag) needs a positive integer")
            }
            return value
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--size": size = try number(argument)
            case "--images": images = try number(argument)
            case "--workers": workers = try number(argument)
            case "--batch-size": batchSize = try number(argument)
            case "--folder":
                guard let value = remaining.popFirst() else { throw BenchmarkFailure("--folder needs a path") }
                folder = value
            case "--json": json = true
            case "--help", "-h": throw BenchmarkFailure(Self.usage)
            default: throw BenchmarkFailure("unknown argument \(argument)\n\(Self.usage)")
            }
        }
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct Row: Codable {
    let name: String
    let format: String
    let images: Int
    let seconds: Double
    let imagesPerSecond: Double
    /// Keras 3 on a 2-core machine: flow_from_directory 2,742 images/s, image_dataset_from_directory 3,018.
    let ratioToKerasFlow: Double?
}

/// Writes `images` Fashion-MNIST training images as PNG folders, then a JPEG copy with the same layout.
func prepareFolders(root: URL, images: Int) throws -> (png: String, jpeg: String) {
    let png = root.appendingPathComponent("fmnist-png")
    let jpeg = root.appendingPathComponent("fmnist-jpeg")
    if !FileManager.default.fileExists(atPath: png.appendingPathComponent("train").path) {
        _ = try FashionMNISTExport.write(to: png.path, trainLimit: images, validationLimit: 1)
    }
    if !FileManager.default.fileExists(atPath: jpeg.appendingPathComponent("train").path) {
        let folder = try ImageFolder(scanning: png.appendingPathComponent("train").path)
        for entry in folder.entries {
            let image = try ImageCodec.decode(contentsOf: entry.path)
            let relative = String(entry.path.dropFirst(png.path.count))
            let target = URL(fileURLWithPath: jpeg.path + relative).deletingPathExtension().appendingPathExtension("jpg")
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(ImageCodec.encodeJPEG(image, quality: 95)).write(to: target)
        }
    }
    return (png.appendingPathComponent("train").path, jpeg.appendingPathComponent("train").path)
}

/// Decodes every file with `workers` threads, nothing else.
func decodeRate(_ folder: ImageFolder, workers: Int) throws -> Double {
    let paths = folder.entries.map(\.path)
    let failures = ManagedCounter()
    let start = Date()
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        for index in stride(from: worker, to: paths.count, by: workers) {
            if (try? ImageCodec.decode(contentsOf: paths[index])) == nil { failures.increment() }
        }
    }
    let seconds = Date().timeIntervalSince(start)
    guard failures.value == 0 else { throw BenchmarkFailure("\(failures.value) files failed to decode") }
    return seconds
}

/// Microseconds per image to resize and normalize one decoded image on one thread, without and with augmentation.
func renderMicroseconds(_ image: PixelImage, size: Int, augmentation: Augmentation) throws -> Double {
    let preprocessing = ImagePreprocessing(height: size, width: size, normalization: .symmetric127)
    var output = [Float](repeating: 0, count: preprocessing.outputCount)
    var generator = SeededGenerator(seed: 1)
    let iterations = 2_000
    var rounds: [Double] = []
    try output.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        for round in 0..<6 {
            let start = Date()
            for _ in 0..<iterations {
                try preprocessing.render(image, into: base, augmentation: augmentation, generator: &generator)
            }
            if round > 0 { rounds.append(Date().timeIntervalSince(start) / Double(iterations) * 1e6) }
        }
    }
    return rounds.sorted()[rounds.count / 2]
}

/// The whole pipeline: scan, then every batch of one shuffled epoch.
func pipelineSeconds(root: String, options: Options) throws -> (seconds: Double, images: Int) {
    let start = Date()
    let folder = try ImageFolder(scanning: root)
    var loaderOptions = ImageFolderLoader.Options()
    loaderOptions.batchSize = options.batchSize
    loaderOptions.workers = options.workers
    loaderOptions.seed = 1
    let preprocessing = ImagePreprocessing(height: options.size, width: options.size, normalization: .symmetric127)
    let loader = try ImageFolderLoader(folder: folder, preprocessing: preprocessing, options: loaderOptions)
    var iterator = try loader.makeBatchIterator(epoch: 0)
    var count = 0
    while let batch = try iterator.next() { count += batch.count }
    return (Date().timeIntervalSince(start), count)
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

func run(_ options: Options) throws {
    ComputeThreads.set(options.workers)
    let root: URL
    let temporary = options.folder == nil
    if let folder = options.folder {
        root = URL(fileURLWithPath: folder)
    } else {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("tune-data-bench-\(UUID().uuidString)")
    }
    defer { if temporary { try? FileManager.default.removeItem(at: root) } }
    let folders = try prepareFolders(root: root, images: options.images)
    var rows: [Row] = []
    for (format, path) in [("PNG", folders.png), ("JPEG", folders.jpeg)] {
        let folder = try ImageFolder(scanning: path)
        _ = try decodeRate(folder, workers: options.workers)  // warm the page cache
        let decodeSeconds = try decodeRate(folder, workers: options.workers)
        rows.append(Row(name: "decode only (\(options.workers) threads)", format: format, images: folder.count,
                        seconds: decodeSeconds, imagesPerSecond: Double(folder.count) / decodeSeconds, ratioToKerasFlow: nil))
        let (seconds, images) = try pipelineSeconds(root: path, options: options)
        let rate = Double(images) / seconds
        rows.append(Row(name: "pipeline → \(options.size)² batch \(options.batchSize)", format: format, images: images,
                        seconds: seconds, imagesPerSecond: rate, ratioToKerasFlow: rate / 2742))
    }
    let sample = try ImageCodec.decode(contentsOf: try ImageFolder(scanning: folders.png).entries[0].path)
    let augmented = try Augmentation(horizontalFlip: true, randomResizedCrop: .standard, rotationDegrees: 15)
    let plain = try renderMicroseconds(sample, size: options.size, augmentation: .none)
    let withAugmentation = try renderMicroseconds(sample, size: options.size, augmentation: augmented)
    if options.json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        return
    }
    print("tune-data-benchmarks: \(options.workers) worker(s), Fashion-MNIST 28×28 grayscale, one epoch, shuffled")
    print("")
    print("| stage | format | images | seconds | images/s | × Keras flow_from_directory (2,742/s) |")
    print("|:--|:--|--:|--:|--:|--:|")
    for row in rows {
        let ratio = row.ratioToKerasFlow.map { String(format: "%.2f×", $0) } ?? "—"
        print("| \(row.name) | \(row.format) | \(row.images) | \(String(format: "%.2f", row.seconds)) | "
              + "\(String(format: "%.0f", row.imagesPerSecond)) | \(ratio) |")
    }
    print("")
    print("Resize + normalize of one 28×28 image to \(options.size)², one thread (median µs): "
          + String(format: "%.1f plain, %.1f with flip + random-resized crop + rotation 15°", plain, withAugmentation))
}

do {
    try run(Options(arguments: Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("tune-data-benchmarks: \(error)\n".utf8))
    exit(1)
}
