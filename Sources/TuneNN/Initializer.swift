import TuneCore

/// Weight initializers, drawing from a seeded generator so a fixed seed gives the same weights.
public enum Initializer: Sendable, Equatable {
    case zeros
    case ones
    case constant(Float)
    /// Glorot (Xavier) uniform: U(−a, a), a = √(6 / (fanIn + fanOut)). Keras's default for Dense and Conv.
    case glorotUniform
    /// He (Kaiming) normal: N(0, 2 / fanIn). Suits ReLU networks.
    case heNormal
    /// He uniform: U(−a, a), a = √(6 / fanIn).
    case heUniform
    /// N(0, σ²) whatever the fans: BERT's `initializer_range` (σ = 0.02) for embeddings and projections.
    case normal(standardDeviation: Float)

    /// A tensor of `shape` whose fans are `fanIn` and `fanOut`.
    public func make(_ shape: Shape, fanIn: Int, fanOut: Int, generator: inout SeededGenerator) -> Tensor {
        switch self {
        case .zeros: return Tensor(zeros: shape)
        case .ones: return Tensor(repeating: 1, shape: shape)
        case .constant(let value): return Tensor(repeating: value, shape: shape)
        case .glorotUniform:
            let limit = Float((6.0 / Double(max(fanIn + fanOut, 1))).squareRoot())
            return Tensor.uniform(shape, low: -limit, high: limit, generator: &generator)
        case .heNormal:
            return Tensor.normal(shape, standardDeviation: Float((2.0 / Double(max(fanIn, 1))).squareRoot()), generator: &generator)
        case .heUniform:
            let limit = Float((6.0 / Double(max(fanIn, 1))).squareRoot())
            return Tensor.uniform(shape, low: -limit, high: limit, generator: &generator)
        case .normal(let standardDeviation):
            return Tensor.normal(shape, standardDeviation: standardDeviation, generator: &generator)
        }
    }
}
