import TuneCore

/// Yields the batches of one epoch, one at a time, so sources larger than memory can stream.
public protocol BatchIterator {
    /// The next batch, or `nil` at the end of the epoch.
    mutating func next() throws -> Batch?
}

/// Anything that yields the batches of an epoch: in-memory datasets, image folders.
public protocol BatchSource {
    /// Batches per epoch (for progress display).
    var batchCount: Int { get }
    /// An iterator over the batches of `epoch` (0-based). Shuffling sources reshuffle per epoch from their seed.
    func makeBatchIterator(epoch: Int) throws -> any BatchIterator
}

/// Iterates over batches already in memory.
public struct ArrayBatchIterator: BatchIterator {
    private var remaining: ArraySlice<Batch>

    public init(_ batches: [Batch]) { remaining = batches[...] }

    public mutating func next() throws -> Batch? { remaining.popFirst() }
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

    public func makeBatchIterator(epoch: Int) throws -> any BatchIterator {
        ArrayBatchIterator(try dataset.batches(size: batchSize, shuffle: shuffle, seed: seed, epoch: epoch))
    }
}
