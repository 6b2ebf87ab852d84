import Foundation
import TuneCore

/// Streams batches from an ``ImageFolder``: decode → (augment) → resize → normalize → batch, on background threads
/// with prefetch, like Keras's `flow_from_directory` / `image_dataset_from_directory`.
///
/// - Training order is a seeded permutation per epoch (the same seed and epoch give the same batches, whatever
///   the thread count); without `shuffle` (evaluation, prediction) batches follow sorted file order.
/// - Every batch carries the path of each sample.
/// - A file that cannot be decoded is skipped with a warning naming it, counted in ``unreadableFiles`` and left
///   out of later epochs; with `strict` it fails the run instead.
public final class ImageFolderLoader: BatchSource, @unchecked Sendable {
    /// How batches are formed.
    public struct Options: Sendable {
        public var batchSize = 32
        public var labelMode: LabelMode = .sparse
        public var shuffle = true
        public var seed: UInt64 = 0
        /// Random transforms for training; off by default.
        public var augmentation: Augmentation = .none
        /// Fail on the first unreadable file instead of skipping it.
        public var strict = false
        /// Background decoding threads.
        public var workers = ProcessInfo.processInfo.activeProcessorCount
        /// Batches prepared ahead of the consumer.
        public var prefetch = 2
        /// Bytes of decoded images kept in memory across epochs (0: no cache).
        public var cacheBytes = 0

        public init() {}
    }

    public let folder: ImageFolder
    public let preprocessing: ImagePreprocessing
    public let options: Options
    private let warn: @Sendable (String) -> Void
    private let lock = NSLock()
    private var unreadable: [String: String] = [:]
    private let cache: DecodedImageCache

    /// - Parameter warn: receives one line per skipped file; defaults to standard error.
    public init(folder: ImageFolder, preprocessing: ImagePreprocessing, options: Options = Options(),
                warn: (@Sendable (String) -> Void)? = nil) throws {
        guard options.batchSize > 0 else {
            throw DataError.invalidArgument(message: "batch size must be positive, got \(options.batchSize)")
        }
        if options.labelMode == .binary, folder.classNames.count != 2 {
            throw DataError.badFolder(path: folder.root, message: "binary labels need exactly 2 classes, found "
                                      + "\(folder.classNames.count) (\(folder.classNames.joined(separator: ", ")))")
        }
        self.folder = folder
        self.preprocessing = preprocessing
        self.options = options
        self.warn = warn ?? { message in FileHandle.standardError.write(Data((message + "\n").utf8)) }
        cache = DecodedImageCache(budgetBytes: options.cacheBytes)
    }

    /// Files skipped so far because they could not be decoded, with the reason.
    public var unreadableFiles: [String: String] { lock.withLock { unreadable } }

    /// The entries still in use (those not found unreadable).
    private var usableEntries: [ImageFolder.Entry] {
        let bad = lock.withLock { unreadable }
        return bad.isEmpty ? folder.entries : folder.entries.filter { bad[$0.path] == nil }
    }

    public var batchCount: Int { (usableEntries.count + options.batchSize - 1) / options.batchSize }

    /// The entries of `epoch` in batch order.
    public func order(epoch: Int) -> [ImageFolder.Entry] {
        let entries = usableEntries
        guard options.shuffle else { return entries }
        return seededPermutation(count: entries.count, seed: options.seed, stream: epoch).map { entries[$0] }
    }

    public func makeBatchIterator(epoch: Int) throws -> any BatchIterator {
        let entries = order(epoch: epoch)
        let size = options.batchSize
        let count = (entries.count + size - 1) / size
        let queue = PrefetchQueue<Batch?>(count: count, workers: options.workers, depth: max(options.prefetch, options.workers)) {
            [self] index in
            try makeBatch(Array(entries[(index * size)..<min(entries.count, (index + 1) * size)]), epoch: epoch)
        }
        return ImageFolderBatchIterator(queue: queue)
    }

    /// Decodes and renders one batch; `nil` when every file in it was unreadable.
    func makeBatch(_ entries: [ImageFolder.Entry], epoch: Int) throws -> Batch? {
        let sampleSize = preprocessing.outputShape.reduce(1, *)
        var kept: [ImageFolder.Entry] = []
        let full = try Tensor(unsafeUninitializedShape: Shape([entries.count] + preprocessing.outputShape)) { buffer in
            guard let base = buffer.baseAddress else { return }
            for entry in entries {
                guard let image = try load(entry.path) else { continue }
                var generator = SeededGenerator(seed: sampleSeed(entry, epoch: epoch))
                try preprocessing.render(image, into: base + kept.count * sampleSize, augmentation: options.augmentation,
                                         generator: &generator)
                kept.append(entry)
            }
        }
        guard !kept.isEmpty else { return nil }
        let inputs = kept.count == entries.count ? full : try full.sliced(axis: 0, range: 0..<kept.count)
        return try Batch(inputs: inputs, targets: try targets(for: kept), paths: kept.map(\.path))
    }

    /// A per-sample seed from the run seed, the epoch and the file, so augmentation does not depend on threads.
    private func sampleSeed(_ entry: ImageFolder.Entry, epoch: Int) -> UInt64 {
        var hash = options.seed ^ 0xA076_1D64_78BD_642F
        for byte in entry.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x1000_0000_01B3 }
        return hash ^ (UInt64(bitPattern: Int64(epoch)) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// The decoded image, from the cache or the file; `nil` (after a warning) when it cannot be decoded.
    private func load(_ path: String) throws -> PixelImage? {
        if let cached = cache.image(for: path) { return cached }
        do {
            let image = try ImageCodec.decode(contentsOf: path)
            cache.insert(image, for: path)
            return image
        } catch {
            if options.strict { throw error }
            let reason = (error as? DataError).map { "\($0)" } ?? "\(error)"
            let isNew = lock.withLock { () -> Bool in
                defer { unreadable[path] = reason }
                return unreadable[path] == nil
            }
            if isNew { warn("warning: skipping \(reason)") }
            return nil
        }
    }

    private func targets(for entries: [ImageFolder.Entry]) throws -> Tensor? {
        let indices = entries.map(\.classIndex)
        switch options.labelMode {
        case .none:
            return nil
        case .binary:
            return try Tensor(shape: [indices.count, 1], scalars: indices.map(Float.init))
        case .sparse:
            return try Tensor(shape: [indices.count], scalars: indices.map(Float.init))
        case .categorical:
            let classes = folder.classNames.count
            var oneHot = [Float](repeating: 0, count: indices.count * classes)
            for (row, index) in indices.enumerated() { oneHot[row * classes + index] = 1 }
            return try Tensor(shape: [indices.count, classes], scalars: oneHot)
        }
    }
}

/// Hands out a loader's prefetched batches in order; stops the workers when dropped early.
final class ImageFolderBatchIterator: BatchIterator {
    private let queue: PrefetchQueue<Batch?>

    init(queue: PrefetchQueue<Batch?>) { self.queue = queue }

    deinit { queue.cancel() }

    func next() throws -> Batch? {
        while let item = try queue.next() {
            if let batch = item { return batch }
        }
        return nil
    }
}

/// Decoded images kept across epochs within a byte budget (first come, first kept).
final class DecodedImageCache: @unchecked Sendable {
    private let budgetBytes: Int
    private let lock = NSLock()
    private var images: [String: PixelImage] = [:]
    private var usedBytes = 0

    init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    func image(for path: String) -> PixelImage? {
        guard budgetBytes > 0 else { return nil }
        return lock.withLock { images[path] }
    }

    func insert(_ image: PixelImage, for path: String) {
        guard budgetBytes > 0 else { return }
        lock.withLock {
            guard images[path] == nil, usedBytes + image.byteCount <= budgetBytes else { return }
            images[path] = image
            usedBytes += image.byteCount
        }
    }

    /// Bytes held.
    var bytes: Int { lock.withLock { usedBytes } }
}
