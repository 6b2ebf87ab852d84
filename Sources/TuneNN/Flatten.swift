import TuneCore

/// Flattens every axis after the batch axis: `[N, …] → [N, rest]` (`[N]` becomes `[N, 1]`).
public final class Flatten: Layer {
    /// A flatten layer (it has no parameters).
    public init() {
        super.init(kind: "Flatten")
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard input.shape.rank >= 1 else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[N, …]", got: input.shape)
        }
        return try input.flattened()
    }
}
