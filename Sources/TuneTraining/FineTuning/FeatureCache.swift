import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

/// The outputs of a model's frozen, deterministic prefix for every image of a data set, computed once so that
/// training runs only the rest of the model.
///
/// Rows are kept in the data set's file order (the images the loader could read), with their class and path, so
/// ``CachedBatches`` can replay exactly the batches the image loader would have produced.
final class FeatureCache: @unchecked Sendable {
    /// The stage index whose input the rows are (the prefix is stages `0..<stage`).
    let stage: Int
    /// The shape of one row, e.g. `[192, 2, 2]`.
    let rowShape: [Int]
    let classIndices: [Int]
    let paths: [String]
    private let store: FeatureStore

    private init(stage: Int, rowShape: [Int], classIndices: [Int], paths: [String], store: FeatureStore) {
        self.stage = stage
        self.rowShape = rowShape
        self.classIndices = classIndices
        self.paths = paths
        self.store = store
    }

    var count: Int { classIndices.count }
    var isOnDisk: Bool { store.isOnDisk }
    var byteCount: Int { store.byteCount }

    /// Runs `stages[0..<stage]` over every readable image of `folder` (no augmentation, file order) in batches.
    static func build(folder: ImageFolder, preprocessing: ImagePreprocessing, stages: [ModelStage], stage: Int,
                      batchSize: Int, memoryBudget: Int, spillPath: String) throws -> FeatureCache {
        var options = ImageFolderLoader.Options()
        options.batchSize = batchSize
        options.shuffle = false
        options.labelMode = .sparse
        let loader = try ImageFolderLoader(folder: folder, preprocessing: preprocessing, options: options)
        var iterator = try loader.makeBatchIterator(epoch: 0)
        return try collect(stage: stage, capacity: folder.count, memoryBudget: memoryBudget, spillPath: spillPath) {
            guard let batch = try iterator.next() else { return nil }
            let output = try withoutGradient { try stages.run(batch.inputs, range: 0..<stage, context: .inference) }
            return (output, batch.targets?.scalars.map { Int($0) } ?? [], batch.paths)
        }
    }

    /// A cache further along the model: this cache's rows run through `stages[self.stage..<stage]`.
    func advanced(through stages: [ModelStage], to stage: Int, batchSize: Int, memoryBudget: Int,
                  spillPath: String) throws -> FeatureCache {
        guard stage > self.stage else { return self }
        var start = 0
        return try Self.collect(stage: stage, capacity: count, memoryBudget: memoryBudget, spillPath: spillPath) {
            guard start < count else { return nil }
            let indices = Array(start..<min(count, start + batchSize))
            start += indices.count
            let input = store.gather(indices, rowShape: rowShape)
            let output = try withoutGradient { try stages.run(input, range: self.stage..<stage, context: .inference) }
            return (output, indices.map { classIndices[$0] }, indices.map { paths[$0] })
        }
    }

    /// Fills a new store from `next` (outputs, classes, paths per batch) until it returns `nil`.
    private static func collect(stage: Int, capacity: Int, memoryBudget: Int, spillPath: String,
                                next: () throws -> (Tensor, [Int], [String])?) throws -> FeatureCache {
        var store: FeatureStore?
        var rowShape: [Int] = []
        var classes: [Int] = []
        var paths: [String] = []
        while let (output, batchClasses, batchPaths) = try next() {
            if store == nil {
                rowShape = Array(output.shape.dimensions.dropFirst())
                store = try FeatureStore(rowLength: rowShape.reduce(1, *), capacity: capacity, memoryBudget: memoryBudget,
                                         spillPath: spillPath)
            }
            try store?.append(output)
            classes += batchClasses
            paths += batchPaths
        }
        guard let store else { throw TrainingError.emptyDataset(name: "feature cache") }
        try store.finish()
        return FeatureCache(stage: stage, rowShape: rowShape, classIndices: classes, paths: paths, store: store)
    }

    /// The rows at `indices` as one tensor.
    func features(_ indices: [Int]) -> Tensor { store.gather(indices, rowShape: rowShape) }

    /// Deletes any spill file.
    func discard() { store.removeFile() }
}

/// Batches of cached features in the order an ``ImageFolderLoader`` with the same seed would give the images, so
/// training on the cache reproduces training on the images.
struct CachedBatches: BatchSource {
    let cache: FeatureCache
    let batchSize: Int
    let shuffle: Bool
    let seed: UInt64
    let labelMode: LabelMode
    let classCount: Int

    var batchCount: Int { (cache.count + batchSize - 1) / batchSize }

    func makeBatchIterator(epoch: Int) throws -> any BatchIterator {
        let order = shuffle ? seededPermutation(count: cache.count, seed: seed, stream: epoch) : Array(0..<cache.count)
        return CachedBatchIterator(source: self, order: order)
    }

    func batch(_ indices: [Int]) throws -> Batch {
        let classes = indices.map { Float(cache.classIndices[$0]) }
        let targets: Tensor?
        switch labelMode {
        case .none: targets = nil
        case .binary: targets = try Tensor(shape: [classes.count, 1], scalars: classes)
        case .sparse: targets = try Tensor(shape: [classes.count], scalars: classes)
        case .categorical:
            var oneHot = [Float](repeating: 0, count: classes.count * classCount)
            for (row, label) in classes.enumerated() { oneHot[row * classCount + Int(label)] = 1 }
            targets = try Tensor(shape: [classes.count, classCount], scalars: oneHot)
        }
        return try Batch(inputs: cache.features(indices), targets: targets, paths: indices.map { cache.paths[$0] })
    }
}

struct CachedBatchIterator: BatchIterator {
    let source: CachedBatches
    let order: [Int]
    private var start = 0

    init(source: CachedBatches, order: [Int]) {
        self.source = source
        self.order = order
    }

    mutating func next() throws -> Batch? {
        guard start < order.count else { return nil }
        let indices = Array(order[start..<min(order.count, start + source.batchSize)])
        start += indices.count
        return try source.batch(indices)
    }
}
