import TuneCore

/// One mini-batch: inputs stacked along the first axis, their targets (absent when labels are not wanted, as for
/// prediction) and, for batches read from files, the file of each sample.
public struct Batch: Sendable {
    /// The inputs, `[count, …]`.
    public let inputs: Tensor
    /// The targets, `[count]` (class indices or binary labels) or `[count, classes]` (one-hot); `nil` without labels.
    public let targets: Tensor?
    /// The number of samples in the batch.
    public let count: Int
    /// The source file of each sample, in batch order; empty for in-memory data.
    public let paths: [String]

    /// Pairs `inputs` `[count, …]` with `targets` whose first dimension is `count`; throws when they disagree.
    public init(inputs: Tensor, targets: Tensor?, paths: [String] = []) throws {
        guard inputs.shape.rank >= 1 else {
            throw DataError.inconsistent(message: "batch inputs \(inputs.shape) need a batch axis")
        }
        let count = inputs.shape[0]
        if let targets, targets.shape.rank < 1 || targets.shape[0] != count {
            throw DataError.inconsistent(message: "batch inputs \(inputs.shape) and targets \(targets.shape) disagree")
        }
        guard paths.isEmpty || paths.count == count else {
            throw DataError.inconsistent(message: "batch of \(count) samples carries \(paths.count) paths")
        }
        self.inputs = inputs
        self.targets = targets
        self.count = count
        self.paths = paths
    }
}
