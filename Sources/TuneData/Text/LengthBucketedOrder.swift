/// An epoch's batch order for texts of different lengths that keeps padding small: samples are shuffled, cut into
/// chunks of ``chunkBatches`` batches, sorted by length within each chunk and cut into batches, and the batches of
/// the whole epoch are shuffled again.
///
/// Every sample appears exactly once per epoch (the last batch may be smaller), batches hold texts of similar
/// lengths, and the same seed and epoch always give the same order, while each epoch gets its own.
///
/// ```swift
/// let order = try LengthBucketedOrder(lengths: encoded.map(\.count), batchSize: 32, seed: 42)
/// for indices in order.batches(epoch: 0) { let batch = TokenBatch(indices.map { encoded[$0] }, paddingID: pad) … }
/// ```
public struct LengthBucketedOrder: Sendable {
    /// The length of each sample (its token count).
    public let lengths: [Int]
    /// Samples per batch.
    public let batchSize: Int
    /// The seed of every epoch's shuffles.
    public let seed: UInt64
    /// How many batches' worth of samples are sorted together: larger groups lengths more tightly, smaller keeps
    /// batches more random.
    public let chunkBatches: Int

    /// Throws ``DataError/invalidArgument(message:)`` when `batchSize` or `chunkBatches` is not positive.
    public init(lengths: [Int], batchSize: Int, seed: UInt64, chunkBatches: Int = 50) throws {
        guard batchSize > 0 else { throw DataError.invalidArgument(message: "batch size must be positive, got \(batchSize)") }
        guard chunkBatches > 0 else {
            throw DataError.invalidArgument(message: "batches per length chunk must be positive, got \(chunkBatches)")
        }
        self.lengths = lengths
        self.batchSize = batchSize
        self.seed = seed
        self.chunkBatches = chunkBatches
    }

    /// The number of batches per epoch.
    public var batchCount: Int { (lengths.count + batchSize - 1) / batchSize }

    /// The sample indices of each batch of `epoch`, in training order.
    public func batches(epoch: Int) -> [[Int]] {
        let shuffled = seededPermutation(count: lengths.count, seed: seed, stream: 2 * epoch)
        let chunkSize = batchSize * chunkBatches
        var batches: [[Int]] = []
        batches.reserveCapacity(batchCount)
        var chunkStart = 0
        while chunkStart < shuffled.count {
            let chunk = shuffled[chunkStart..<min(chunkStart + chunkSize, shuffled.count)]
            // Sorting by (length, place in the shuffle) keeps ties in their random order.
            let sorted = chunk.enumerated().sorted { a, b in
                lengths[a.element] != lengths[b.element] ? lengths[a.element] < lengths[b.element] : a.offset < b.offset
            }.map(\.element)
            var batchStart = 0
            while batchStart < sorted.count {
                batches.append(Array(sorted[batchStart..<min(batchStart + batchSize, sorted.count)]))
                batchStart += batchSize
            }
            chunkStart += chunkSize
        }
        let batchOrder = seededPermutation(count: batches.count, seed: seed, stream: 2 * epoch + 1)
        return batchOrder.map { batches[$0] }
    }
}
