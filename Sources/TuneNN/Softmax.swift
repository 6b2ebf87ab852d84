import TuneCore

/// Softmax along `axis` (default: the last), e.g. to turn logits into class probabilities.
public final class Softmax: Layer {
    /// The axis normalized over (negative counts from the end).
    public let axis: Int

    /// A softmax over `axis`.
    public init(axis: Int = -1) {
        self.axis = axis
        super.init(kind: "Softmax")
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard input.shape.rank >= 1, (-input.shape.rank..<input.shape.rank).contains(axis) else {
            throw LayerError.shapeMismatch(layer: kind, expected: "a tensor with axis \(axis)", got: input.shape)
        }
        guard input.elementCount > 0 else {
            throw LayerError.shapeMismatch(layer: kind, expected: "a non-empty tensor", got: input.shape)
        }
        return try input.softmax(axis: axis)
    }
}
