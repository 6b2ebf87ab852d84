import TuneCore
import TuneData
import TuneModels

/// Tokenized texts and their labels as batches of ``TokenIDs/packed()`` tensors, padded per batch to the longest text.
/// Training batches group texts of similar length (``LengthBucketedOrder``, reshuffled every epoch from the seed, every
/// text once); other batches keep the texts' order.
struct TokenBatches: BatchSource {
    let texts: [TokenizedText]
    /// Class indices, one per text.
    let labels: [Int]
    /// Where each text came from (a file, or a file and line).
    let origins: [String]
    let batchSize: Int
    let paddingID: Int32
    /// For training: batches of similar lengths in a seeded order.
    let order: LengthBucketedOrder?
    /// Whether targets are `[count, 1]` (one sigmoid output for two classes) rather than `[count]` class indices.
    let binary: Bool

    init(texts: [TokenizedText], labels: [Int], origins: [String], batchSize: Int, paddingID: Int32,
         bucketedSeed: UInt64?, binary: Bool) throws {
        self.binary = binary
        self.texts = texts
        self.labels = labels
        self.origins = origins
        self.batchSize = batchSize
        self.paddingID = paddingID
        order = try bucketedSeed.map { try LengthBucketedOrder(lengths: texts.map(\.count), batchSize: batchSize, seed: $0) }
    }

    var batchCount: Int { (texts.count + batchSize - 1) / max(batchSize, 1) }

    func makeBatchIterator(epoch: Int) throws -> any BatchIterator {
        let groups = order?.batches(epoch: epoch)
            ?? stride(from: 0, to: texts.count, by: batchSize).map { Array($0..<min($0 + batchSize, texts.count)) }
        return Iterator(source: self, groups: groups[...])
    }

    /// The batch of the texts at `indices`.
    func batch(_ indices: [Int]) throws -> Batch {
        let tokens = try TokenIDs(TokenBatch(indices.map { texts[$0] }, paddingID: paddingID))
        let targets = try Tensor(shape: binary ? [indices.count, 1] : [indices.count], scalars: indices.map { Float(labels[$0]) })
        return try Batch(inputs: try tokens.packed(), targets: targets, paths: indices.map { origins[$0] })
    }

    struct Iterator: BatchIterator {
        let source: TokenBatches
        var groups: ArraySlice<[Int]>

        mutating func next() throws -> Batch? {
            guard let indices = groups.popFirst() else { return nil }
            return try source.batch(indices)
        }
    }
}
