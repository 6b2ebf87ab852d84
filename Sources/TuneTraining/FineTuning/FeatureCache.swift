import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

/// The outputs of a model's frozen, deterministic prefix for every sample of one split, computed once so that
/// training runs only the rest of the model.
///
/// Rows are kept in the split's order (the samples the task's caching batches gave), with their targets and paths,
/// so ``CachedBatches`` can replay exactly the batches the task's own loader would have produced.
final class FeatureCache: @unchecked Sendable {
    /// The split the rows come from.
    let split: DataSplit
    /// The stage index whose input the rows are (the prefix is stages `0..<stage`).
    let stage: Int
    /// The shape of one row, e.g. `[192, 2, 2]`.
    let rowShape: [Int]
    /// The shape of one sample's target (`[]` for a class index, `[1]` for a binary label), or `nil` for none.
    let targetShape: [Int]?
    let targets: [Float]
    let paths: [String]
    private let store: FeatureStore

    private init(split: DataSplit, stage: Int, rowShape: [Int], targetShape: [Int]?, targets: [Float], paths: [String],
                 store: FeatureStore) {
        self.split = split
        self.stage = stage
        self.rowShape = rowShape
        self.targetShape = targetShape
        self.targets = targets
        self.paths = paths
        self.store = store
    }

    var count: Int { paths.count }
    var isOnDisk: Bool { store.isOnDisk }
    var byteCount: Int { store.byteCount }

    /// Runs `stages[0..<stage]` over every batch of `source` (at most `capacity` samples, in order).
    static func build(split: DataSplit, from source: any BatchSource, capacity: Int, stages: [ModelStage], stage: Int,
                      memoryBudget: Int, spillPath: String) throws -> FeatureCache {
        var iterator = try source.makeBatchIterator(epoch: 0)
        return try collect(split: split, stage: stage, capacity: capacity, memoryBudget: memoryBudget, spillPath: spillPath) {
            guard let batch = try iterator.next() else { return nil }
            let output = try withoutGradient { try stages.run(batch.inputs, range: 0..<stage, context: .inference) }
            return (output, batch.targets, batch.paths)
        }
    }

    /// A cache further along the model: this cache's rows run through `stages[self.stage..<stage]`.
    func advanced(through stages: [ModelStage], to stage: Int, batchSize: Int, memoryBudget: Int,
                  spillPath: String) throws -> FeatureCache {
        guard stage > self.stage else { return self }
        var start = 0
        return try Self.collect(split: split, stage: stage, capacity: count, memoryBudget: memoryBudget, spillPath: spillPath) {
            guard start < count else { return nil }
            let indices = Array(start..<min(count, start + batchSize))
            start += indices.count
            let input = store.gather(indices, rowShape: rowShape)
            let output = try withoutGradient { try stages.run(input, range: self.stage..<stage, context: .inference) }
            return (output, try self.targets(indices), indices.map { paths[$0] })
        }
    }

    /// Fills a new store from `next` (outputs, targets, paths per batch) until it returns `nil`.
    private static func collect(split: DataSplit, stage: Int, capacity: Int, memoryBudget: Int, spillPath: String,
                                next: () throws -> (Tensor, Tensor?, [String])?) throws -> FeatureCache {
        var store: FeatureStore?
        var rowShape: [Int] = []
        var targetShape: [Int]?
        var targets: [Float] = []
        var paths: [String] = []
        while let (output, batchTargets, batchPaths) = try next() {
            if store == nil {
                rowShape = Array(output.shape.dimensions.dropFirst())
                targetShape = batchTargets.map { Array($0.shape.dimensions.dropFirst()) }
                store = try FeatureStore(rowLength: rowShape.reduce(1, *), capacity: capacity, memoryBudget: memoryBudget,
                                         spillPath: spillPath)
            }
            let rows = output.shape[0]
            guard batchPaths.isEmpty || rows == batchPaths.count, (batchTargets == nil) == (targetShape == nil) else {
                throw FineTuneError.runFolder(path: spillPath, message: "a batch of \(rows) features came with "
                                              + "\(batchPaths.count) paths and \(batchTargets == nil ? "no" : "some") targets")
            }
            try store?.append(output)
            targets += batchTargets?.scalars ?? []
            paths += batchPaths.isEmpty ? Array(repeating: "", count: rows) : batchPaths
        }
        guard let store else { throw TrainingError.emptyDataset(name: "feature cache (\(split.rawValue))") }
        try store.finish()
        return FeatureCache(split: split, stage: stage, rowShape: rowShape, targetShape: targetShape, targets: targets,
                            paths: paths, store: store)
    }

    /// The rows at `indices` as one tensor.
    func features(_ indices: [Int]) -> Tensor { store.gather(indices, rowShape: rowShape) }

    /// The targets at `indices` as one tensor, or `nil` when the samples have none.
    func targets(_ indices: [Int]) throws -> Tensor? {
        guard let targetShape else { return nil }
        let length = targetShape.reduce(1, *)
        var values: [Float] = []
        values.reserveCapacity(indices.count * length)
        for index in indices { values += targets[(index * length)..<((index + 1) * length)] }
        return try Tensor(shape: Shape([indices.count] + targetShape), scalars: values)
    }

    /// Deletes any spill file.
    func discard() { store.removeFile() }
}

/// The feature caches of a run, each known by what it holds: the split and the stage its rows feed.
struct FeatureCacheSet {
    private var caches: [Key: FeatureCache] = [:]

    private struct Key: Hashable {
        let split: DataSplit
        let stage: Int
    }

    /// The cache of `split` whose rows feed `stage`.
    subscript(split: DataSplit, stage stage: Int) -> FeatureCache? { caches[Key(split: split, stage: stage)] }

    /// The cache of `split` nearest before (or at) `stage`, the one to advance from.
    func nearest(_ split: DataSplit, atOrBefore stage: Int) -> FeatureCache? {
        caches.values.filter { $0.split == split && $0.stage <= stage }.max { $0.stage < $1.stage }
    }

    mutating func insert(_ cache: FeatureCache) {
        caches[Key(split: cache.split, stage: cache.stage)]?.discard()
        caches[Key(split: cache.split, stage: cache.stage)] = cache
    }

    /// Deletes the caches of the stages `keep` does not name.
    mutating func discard(keeping keep: Set<Int>) {
        for (key, cache) in caches where !keep.contains(key.stage) {
            cache.discard()
            caches[key] = nil
        }
    }

    /// Deletes every cache.
    mutating func discardAll() { discard(keeping: []) }
}

/// Batches of cached features in the order the task's loader with the same seed would give the samples, so
/// training on the cache reproduces training on the inputs.
struct CachedBatches: BatchSource {
    let cache: FeatureCache
    let batchSize: Int
    let shuffle: Bool
    let seed: UInt64

    var batchCount: Int { (cache.count + batchSize - 1) / batchSize }

    func makeBatchIterator(epoch: Int) throws -> any BatchIterator {
        let order = shuffle ? seededPermutation(count: cache.count, seed: seed, stream: epoch) : Array(0..<cache.count)
        return CachedBatchIterator(source: self, order: order)
    }

    func batch(_ indices: [Int]) throws -> Batch {
        try Batch(inputs: cache.features(indices), targets: try cache.targets(indices), paths: indices.map { cache.paths[$0] })
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
