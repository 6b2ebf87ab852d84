import TuneCore

/// Labeled samples held in memory, cut into (optionally shuffled) mini-batches.
public struct InMemoryDataset: Sendable {
    /// The samples, `[N, …]`.
    public let inputs: Tensor
    /// The class index of each sample, `labels.count == N`.
    public let labels: [Int]

    /// Pairs `inputs` `[N, …]` with `N` labels; throws when the counts differ.
    public init(inputs: Tensor, labels: [Int]) throws {
        guard inputs.shape.rank >= 1, inputs.shape[0] == labels.count else {
            throw DataError.inconsistent(message: "\(labels.count) labels for inputs of shape \(inputs.shape)")
        }
        self.inputs = inputs
        self.labels = labels
    }

    /// The number of samples.
    public var count: Int { labels.count }

    /// The elements of one sample.
    private var sampleSize: Int { count == 0 ? 0 : inputs.elementCount / count }

    /// The samples at `indices`, in that order, copied into a new dataset.
    public func subset<Indices: Collection<Int>>(_ indices: Indices) throws -> InMemoryDataset {
        if let bad = indices.first(where: { !(0..<count).contains($0) }) {
            throw DataError.invalidArgument(message: "subset index \(bad) is outside 0..<\(count)")
        }
        let order = Array(indices)
        return try InMemoryDataset(inputs: gather(order), labels: order.map { labels[$0] })
    }

    /// The dataset cut into batches of `size` samples; the last batch holds the remainder and may be smaller.
    ///
    /// With `shuffle`, the order is a permutation drawn from `seed` and `epoch` together: the same pair always
    /// gives the same batches, and each epoch gets its own order. Every sample appears exactly once per epoch.
    public func batches(size: Int, shuffle: Bool = true, seed: UInt64 = 0, epoch: Int = 0) throws -> [Batch] {
        guard size > 0 else { throw DataError.invalidArgument(message: "batch size must be positive, got \(size)") }
        let order = shuffle ? seededPermutation(count: count, seed: seed, stream: epoch) : Array(0..<count)
        return try stride(from: 0, to: count, by: size).map { start in
            let indices = Array(order[start..<min(start + size, count)])
            let targets = try Tensor(shape: [indices.count], scalars: indices.map { Float(labels[$0]) })
            return try Batch(inputs: gather(indices), targets: targets)
        }
    }

    /// The samples at `indices` stacked into one tensor `[indices.count, …]`.
    private func gather(_ indices: [Int]) -> Tensor {
        var shape = inputs.shape
        shape[0] = indices.count
        let result = Tensor(zeros: shape)
        let sampleSize = self.sampleSize
        result.withUnsafeMutableBufferPointer { destination in
            inputs.withUnsafeBufferPointer { source in
                guard let from = source.baseAddress, let to = destination.baseAddress else { return }
                for (row, index) in indices.enumerated() {
                    (to + row * sampleSize).update(from: from + index * sampleSize, count: sampleSize)
                }
            }
        }
        return result
    }
}
