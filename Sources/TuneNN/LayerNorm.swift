import TuneCore

/// Layer normalization over the last axis with PyTorch's parameter names: `weight` (γ, ones) and `bias` (β, zeros),
/// both `[dimension]`; each row is normalized with its own mean and population variance.
public final class LayerNorm: Layer {
    /// The size of the normalized (last) axis.
    public let dimension: Int
    /// Added to the variance before the square root (BERT: 1e-12).
    public let epsilon: Float
    /// γ, `[dimension]`.
    public let weight: Tensor
    /// β, `[dimension]`.
    public let bias: Tensor

    public init(dimension: Int, epsilon: Float = 1e-12) {
        precondition(dimension >= 0, "LayerNorm: dimension \(dimension) must not be negative")
        self.dimension = dimension
        self.epsilon = epsilon
        weight = Tensor(repeating: 1, shape: [dimension])
        bias = Tensor(zeros: [dimension])
        super.init(kind: "LayerNorm")
        registerParameter("weight", weight)
        registerParameter("bias", bias)
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard input.shape.rank >= 1, input.shape[input.shape.rank - 1] == dimension else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[…, \(dimension)]", got: input.shape)
        }
        return try input.layerNormalized(scale: weight, shift: bias, epsilon: epsilon)
    }
}
