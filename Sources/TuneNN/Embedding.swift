import TuneCore

/// A lookup table of learned vectors, one row per token (or position, or segment): `weight` `[count, dimension]`
/// under PyTorch's name, drawn from N(0, 0.02²) as BERT initializes it.
///
/// It maps integer indices rather than a tensor, so it is called as `embedding(ids, shape: [B, T])`; the
/// tensor-taking ``Layer/callAsFunction(_:context:)`` is not implemented.
public final class Embedding: Layer {
    /// The number of rows (vocabulary size, positions, …).
    public let count: Int
    /// The length of each vector.
    public let dimension: Int
    /// `[count, dimension]`.
    public let weight: Tensor

    /// - Parameter generator: where the initial weights are drawn from (see ``WeightGenerator``).
    public init(count: Int, dimension: Int, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        precondition(count >= 0 && dimension >= 0, "Embedding: count \(count) and dimension \(dimension) must not be negative")
        self.count = count
        self.dimension = dimension
        var draws = generator.nextLayerGenerator()
        weight = Initializer.normal(standardDeviation: 0.02).make([count, dimension], fanIn: dimension, fanOut: count,
                                                                   generator: &draws)
        super.init(kind: "Embedding")
        registerParameter("weight", weight)
        markBuilt()
    }

    /// The vectors of `indices`, laid out row-major as `shape` (e.g. `[B, T]`): `shape + [dimension]`. Throws when the
    /// count does not match `shape` or an index is outside `0..<count`.
    public func callAsFunction(_ indices: [Int32], shape: Shape) throws -> Tensor {
        try Tensor.embedding(table: weight, indices: indices, shape: shape)
    }
}
