import TuneCore

/// A ``Dense`` layer with a low-rank adapter (LoRA, Hu et al. 2021):
/// `activation(x · Wᵀ + b + scaling · (dropout(x) · Aᵀ) · Bᵀ)`, where `W` and `b` are the wrapped layer's weight and bias
/// (frozen: they never train), `A` is `[rank, inFeatures]`, `B` is `[units, rank]` and `scaling = alpha / rank`.
///
/// As PEFT initializes it (`init_lora_weights=True`), `A` starts Kaiming-uniform with a = √5, that is U(−1/√in, 1/√in),
/// and `B` at zero, so a fresh adapter leaves the layer's output unchanged. The dropout (on the adapter's input only, in
/// training mode) is a child ``Dropout`` named `lora_dropout`.
///
/// Parameter paths, chosen so that the wrapper can take the wrapped layer's place in a model without renaming anything:
/// - `weight`, `bias`: the wrapped layer's own tensors (shared, not copied), registered frozen, at the paths they had
///   in the ``Dense`` — a checkpoint of the plain model loads into the adapted one and the other way round;
/// - `lora_A`, `lora_B`: the adapter. PEFT's keys are the wrapped module's name followed by `.lora_A.weight` and
///   `.lora_B.weight`.
///
/// ``Layer/isTrainable`` governs only the adapter; ``merged()`` folds it into a plain ``Dense``.
public final class LoRADense: Layer {
    /// The wrapped layer. Its tensors are this layer's `weight` and `bias`; it is not a child (it would add a second
    /// path for them) and stays frozen.
    public let base: Dense
    /// The adapter's rank.
    public let rank: Int
    /// The LoRA alpha; the adapter's output is multiplied by ``scaling`` = alpha / rank.
    public let alpha: Float
    /// `[rank, inFeatures]`.
    public let loraA: Tensor
    /// `[units, rank]`.
    public let loraB: Tensor
    private let dropout: Dropout

    /// Wraps `base` (which must be built: give it `inFeatures` or run it once).
    /// - Parameter dropout: the rate at which the adapter's input is dropped in training mode, in `[0, 1)`.
    /// - Parameter generator: where `A`'s initial values are drawn from.
    /// - Throws: ``LayerError`` when `base` is not built, the rank is not positive, alpha is not finite or the dropout
    ///   rate is outside `[0, 1)`.
    public init(wrapping base: Dense, rank: Int, alpha: Float, dropout: Float = 0,
                generator: WeightGenerator = WeightGenerator(seed: 0)) throws {
        guard let weight = base.weight else { throw LayerError.notBuilt(layer: "LoRADense (its Dense)") }
        guard rank > 0 else {
            throw LayerError.invalidConfiguration(layer: "LoRADense", message: "rank \(rank) must be positive")
        }
        guard alpha.isFinite else {
            throw LayerError.invalidConfiguration(layer: "LoRADense", message: "alpha \(alpha) must be finite")
        }
        guard dropout >= 0, dropout < 1 else {
            throw LayerError.invalidConfiguration(layer: "LoRADense", message: "dropout rate \(dropout) must be in [0, 1)")
        }
        self.base = base
        self.rank = rank
        self.alpha = alpha
        let inFeatures = weight.shape[1]
        var draws = generator.nextLayerGenerator()
        // kaiming_uniform_(a: √5): gain √(2 / (1 + 5)), bound gain · √(3 / fanIn) = 1 / √fanIn.
        let bound = Float(1 / Double(max(inFeatures, 1)).squareRoot())
        loraA = Tensor.uniform([rank, inFeatures], low: -bound, high: bound, generator: &draws)
        loraB = Tensor(zeros: [base.units, rank])
        self.dropout = Dropout(rate: dropout)
        super.init(kind: "LoRADense")
        base.isTrainable = false
        registerParameter("weight", weight, frozen: true)
        if let bias = base.bias { registerParameter("bias", bias, frozen: true) }
        registerParameter("lora_A", loraA)
        registerParameter("lora_B", loraB)
        registerChild("lora_dropout", self.dropout)
        markBuilt()
    }

    /// The number of outputs.
    public var units: Int { base.units }
    /// The number of inputs.
    public var inFeatures: Int { loraA.shape[1] }
    /// What the adapter's output is multiplied by: alpha / rank.
    public var scaling: Float { alpha / Float(rank) }
    /// The dropout rate on the adapter's input.
    public var dropoutRate: Float { dropout.rate }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard let weight = base.weight else { throw LayerError.notBuilt(layer: kind) }
        guard input.shape.rank >= 1, input.shape[input.shape.rank - 1] == inFeatures else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[…, \(inFeatures)]", got: input.shape)
        }
        let frozen = try Tensor.linear(input, weight: weight, bias: base.bias)
        let reduced = try Tensor.linear(try dropout(input, context: context), weight: loraA, bias: nil)
        let adapted = try frozen + Tensor.linear(reduced, weight: loraB, bias: nil) * scaling
        return try base.activation.map { try adapted.activated($0) } ?? adapted
    }

    /// `scaling · B · A`, `[units, inFeatures]`, accumulated in Double: what the adapter adds to the weight.
    public func weightDelta() -> [Float] {
        let a = loraA.scalars, b = loraB.scalars
        let (units, inFeatures, rank) = (self.units, self.inFeatures, self.rank)
        var delta = [Float](repeating: 0, count: units * inFeatures)
        var row = [Double](repeating: 0, count: inFeatures)
        for o in 0..<units {
            for j in 0..<inFeatures { row[j] = 0 }
            for r in 0..<rank {
                let coefficient = Double(b[o * rank + r])
                if coefficient == 0 { continue }
                for j in 0..<inFeatures { row[j] += coefficient * Double(a[r * inFeatures + j]) }
            }
            for j in 0..<inFeatures { delta[o * inFeatures + j] = Float(Double(scaling) * row[j]) }
        }
        return delta
    }

    /// The weight the layer applies, adapter included: `W + scaling · B · A`, `[units, inFeatures]`.
    public func mergedWeight() throws -> Tensor {
        guard let weight = base.weight else { throw LayerError.notBuilt(layer: kind) }
        let delta = weightDelta()
        let merged = weight.scalars.enumerated().map { $0.element + delta[$0.offset] }
        return try Tensor(shape: weight.shape, scalars: merged)
    }

    /// A plain ``Dense`` (new tensors, trainable) computing what this layer computes in inference mode: weight
    /// `W + scaling · B · A`, the same bias and activation.
    public func merged() throws -> Dense {
        let dense = Dense(units, inFeatures: inFeatures, activation: base.activation, useBias: base.useBias,
                          kernelInitializer: .zeros)
        guard let weight = dense.weight else { throw LayerError.notBuilt(layer: kind) }
        try weight.assign(try mergedWeight())
        if let bias = dense.bias, let baseBias = base.bias { try bias.assign(baseBias) }
        return dense
    }
}
