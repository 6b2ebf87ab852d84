import TuneCore


/// Anything that yields the batches of one epoch: in-memory datasets, image folders.
public protocol BatchSource {
    /// Batches per epoch (for progress display).
    var batchCount: Int { get }
    /// The batches of `epoch` (0-based). Shuffling sources reshuffle per epoch from their seed.
    func batches(epoch: Int) throws -> [Batch]
}

/// Batches an ``InMemoryDataset``, shuffled per epoch from a seed when asked.
public struct InMemoryBatches: BatchSource {
    public let dataset: InMemoryDataset
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64

    public init(_ dataset: InMemoryDataset, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0) {
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
    }

    public var batchCount: Int { (dataset.count + batchSize - 1) / max(batchSize, 1) }

    public func batches(epoch: Int) throws -> [Batch] {
        try dataset.batches(size: batchSize, shuffle: shuffle, seed: seed, epoch: epoch)
    }
}
