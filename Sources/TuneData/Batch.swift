import TuneCore

/// One mini-batch: inputs stacked along the first axis and their class indices.
public struct Batch: Sendable {
    /// The inputs, `[count, …]`.
    public let inputs: Tensor
    /// The class index of each input as a `Float`, shape `[count]`.
    public let targets: Tensor
    /// The number of samples in the batch.
    public let count: Int

    /// Pairs `inputs` `[count, …]` with `targets` `[count]`; throws when they disagree.
    public init(inputs: Tensor, targets: Tensor) throws {
        guard inputs.shape.rank >= 1, targets.shape.rank == 1, inputs.shape[0] == targets.shape[0] else {
            throw DataError.inconsistent(message: "batch inputs \(inputs.shape) and targets \(targets.shape) disagree")
        }
        self.inputs = inputs
        self.targets = targets
        count = targets.shape[0]
    }
}
