import Foundation
import Testing
import TuneCore
@testable import TuneNN

@Suite("LoRADense")
struct LoRADenseTests {
    /// A built Dense `in → out` with U(−0.5, 0.5) weight and bias, wrapped with an adapter whose A and B are U(−0.5, 0.5)
    /// too (B is zero at initialization, which would hide it).
    static func layer(in inFeatures: Int = 4, out units: Int = 5, rank: Int = 3, alpha: Float = 6, dropout: Float = 0,
                      activation: Tensor.Activation? = nil, seed: UInt64 = 7) throws -> LoRADense {
        let base = Dense(units, inFeatures: inFeatures, activation: activation)
        let lora = try LoRADense(wrapping: base, rank: rank, alpha: alpha, dropout: dropout)
        var generator = SeededGenerator(seed: seed)
        for tensor in [try #require(base.weight), try #require(base.bias), lora.loraA, lora.loraB] {
            try tensor.assign(Tensor.uniform(tensor.shape, low: -0.5, high: 0.5, generator: &generator))
        }
        return lora
    }

    static func input(_ shape: Shape, seed: UInt64 = 3, requiresGradient: Bool = false) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.normal(shape, generator: &generator, requiresGradient: requiresGradient)
    }

    /// `x · Wᵀ + b + scaling · (x · Aᵀ) · Bᵀ` row by row in Double.
    static func naive(_ layer: LoRADense, _ x: [Float]) throws -> [Double] {
        let (inFeatures, units, rank) = (layer.inFeatures, layer.units, layer.rank)
        let weight = try #require(layer.base.weight).scalars, bias = try #require(layer.base.bias).scalars
        let a = layer.loraA.scalars, b = layer.loraB.scalars
        let scaling = Double(layer.alpha) / Double(rank)
        return (0..<(x.count / inFeatures)).flatMap { row -> [Double] in
            let input = (0..<inFeatures).map { Double(x[row * inFeatures + $0]) }
            let reduced = (0..<rank).map { r in (0..<inFeatures).reduce(0.0) { $0 + Double(a[r * inFeatures + $1]) * input[$1] } }
            return (0..<units).map { o in
                let frozen = (0..<inFeatures).reduce(Double(bias[o])) { $0 + Double(weight[o * inFeatures + $1]) * input[$1] }
                let adapted = (0..<rank).reduce(0.0) { $0 + Double(b[o * rank + $1]) * reduced[$1] }
                return frozen + scaling * adapted
            }
        }
    }

    @Test("paths are the wrapped Dense's weight and bias (frozen) plus lora_A and lora_B; only the adapter trains")
    func structure() throws {
        let base = Dense(6, inFeatures: 10)
        let lora = try LoRADense(wrapping: base, rank: 4, alpha: 8, dropout: 0.1)
        #expect(lora.namedParameters().map(\.path) == ["weight", "bias", "lora_A", "lora_B"])
        #expect(lora.namedParameters()[0].tensor === base.weight)
        #expect(lora.loraA.shape == [4, 10])
        #expect(lora.loraB.shape == [6, 4])
        #expect(lora.scaling == 2)
        #expect(lora.dropoutRate == 0.1)
        let trainable = lora.trainableParameters()
        #expect(trainable.count == 2 && trainable[0] === lora.loraA && trainable[1] === lora.loraB)
        #expect(lora.parameterCount() == 6 * 10 + 6 + 4 * 10 + 6 * 4)
        lora.isTrainable = false
        #expect(lora.trainableParameters().isEmpty)
        #expect(!lora.loraA.requiresGradient)
        lora.isTrainable = true
        #expect(lora.loraA.requiresGradient && lora.loraB.requiresGradient)
        #expect(try !#require(base.weight).requiresGradient && !(try #require(base.bias).requiresGradient))
    }

    @Test("A starts as PEFT's kaiming_uniform(a: √5), U(−1/√in, 1/√in), and B at zero, so the output is the Dense's")
    func initialization() throws {
        let base = Dense(16, inFeatures: 64)
        let lora = try LoRADense(wrapping: base, rank: 8, alpha: 16, generator: WeightGenerator(seed: 3))
        let bound: Float = 1 / 8
        let a = lora.loraA.scalars
        #expect(a.allSatisfy { abs($0) <= bound })
        let largest = a.map(abs).max() ?? 0
        #expect(largest > 0.95 * bound, "largest |A| \(largest) should come close to the bound \(bound)")
        let mean = a.reduce(0, +) / Float(a.count)
        #expect(abs(mean) < 0.01)
        #expect(lora.loraB.scalars.allSatisfy { $0 == 0 })
        let x = Self.input([3, 64])
        expectClose(try lora(x).scalars, try base(x).scalars, tolerance: 0)
        let other = try LoRADense(wrapping: base, rank: 8, alpha: 16, generator: WeightGenerator(seed: 4))
        #expect(other.loraA.scalars != a)
    }

    @Test("the output matches a Double loop on [B, in] and [B, T, in] inputs")
    func forward() throws {
        let layer = try Self.layer()
        for shape: Shape in [[3, 4], [2, 3, 4]] {
            let x = Self.input(shape)
            let output = try layer(x)
            var expectedShape = shape.dimensions
            expectedShape[expectedShape.count - 1] = 5
            #expect(output.shape == Shape(expectedShape))
            expectClose(output.scalars, try Self.naive(layer, x.scalars).map(Float.init), tolerance: 1e-5)
        }
        #expect(throws: LayerError.self) { try layer(Self.input([2, 3])) }
    }

    @Test("gradients of A, B and the input match finite differences; the wrapped weights get none")
    func gradients() throws {
        let layer = try Self.layer()
        let x = Self.input([2, 3, 4], requiresGradient: true)
        let compared = try expectFiniteDifferenceGradients([("input", x), ("lora_A", layer.loraA), ("lora_B", layer.loraB)]) {
            try layer(x)
        }
        #expect(compared == 24 + 12 + 15)
        #expect(try #require(layer.base.weight).gradient == nil)
        #expect(try #require(layer.base.bias).gradient == nil)
    }

    @Test("with GELU on the wrapped Dense, the adapter is added before the activation, as PEFT adapts the Linear")
    func activation() throws {
        let layer = try Self.layer(activation: .gelu)
        let x = Self.input([4, 4])
        let expected = try Self.naive(layer, x.scalars).map { value in Float(0.5 * value * (1 + erf(value / 2.0.squareRoot()))) }
        expectClose(try layer(x).scalars, expected, tolerance: 1e-5)
        let x3 = Self.input([2, 2, 4], seed: 9, requiresGradient: true)
        try expectFiniteDifferenceGradients([("input", x3), ("lora_A", layer.loraA), ("lora_B", layer.loraB)]) { try layer(x3) }
    }

    @Test("optimizer steps change A and B and leave the wrapped weight and bias as they were")
    func frozenBase() throws {
        for optimizer in [SGD(learningRate: 0.1, weightDecay: 0.01), Adam(learningRate: 0.01)] as [Optimizer] {
            let layer = try Self.layer()
            let weight = try #require(layer.base.weight), bias = try #require(layer.base.bias)
            let (weightBefore, biasBefore) = (weight.scalars, bias.scalars)
            let (aBefore, bBefore) = (layer.loraA.scalars, layer.loraB.scalars)
            let x = Self.input([6, 4])
            for _ in 0..<2 {
                layer.zeroGradients()
                try layer(x, context: ForwardContext(isTraining: true)).squared().sum().backward()
                #expect(weight.gradient == nil && bias.gradient == nil)
                try optimizer.step(layer)
            }
            #expect(weight.scalars == weightBefore)
            #expect(bias.scalars == biasBefore)
            #expect(layer.loraA.scalars != aBefore)
            #expect(layer.loraB.scalars != bBefore)
        }
    }

    @Test("training mode drops the adapter's input with the context's generator, like Dropout; inference mode does not")
    func dropout() throws {
        let layer = try Self.layer(dropout: 0.5)
        let x = Self.input([8, 4])
        let trained = try layer(x, context: ForwardContext(isTraining: true, seed: 11))
        // The same draw: the first thing the layer takes from the context's generator is the dropout mask.
        var generator = SeededGenerator(seed: 11)
        let dropped = try x.dropout(rate: 0.5, generator: &generator)
        let frozen = try Tensor.linear(x, weight: #require(layer.base.weight), bias: layer.base.bias)
        let adapter = try Tensor.linear(Tensor.linear(dropped, weight: layer.loraA, bias: nil), weight: layer.loraB, bias: nil)
        let expected = try frozen + adapter * layer.scaling
        expectClose(trained.scalars, expected.scalars, tolerance: 1e-5)
        let inference = try layer(x)
        expectClose(inference.scalars, try Self.naive(layer, x.scalars).map(Float.init), tolerance: 1e-5)
        #expect(trained.scalars != inference.scalars)
        #expect(layer.mixesSamples(in: ForwardContext(isTraining: true)))
        #expect(!layer.mixesSamples(in: .inference))
    }

    @Test("merged() is a plain Dense with W + scaling · B · A that computes the same in inference mode")
    func merged() throws {
        let layer = try Self.layer(in: 6, out: 3, rank: 2, alpha: 5, activation: .gelu)
        let dense = try layer.merged()
        #expect(dense.namedParameters().map(\.path) == ["weight", "bias"])
        #expect(dense.activation == .gelu)
        let weight = try #require(layer.base.weight).scalars, a = layer.loraA.scalars, b = layer.loraB.scalars
        var expected: [Float] = []
        for o in 0..<3 {
            for j in 0..<6 {
                let product = (0..<2).reduce(0.0) { $0 + Double(b[o * 2 + $1]) * Double(a[$1 * 6 + j]) }
                expected.append(Float(Double(weight[o * 6 + j]) + 2.5 * product))
            }
        }
        expectClose(try #require(dense.weight).scalars, expected, tolerance: 1e-6)
        #expect(try #require(dense.bias).scalars == (try #require(layer.base.bias)).scalars)
        #expect(try #require(dense.weight) !== layer.base.weight)
        let x = Self.input([2, 5, 6])
        expectClose(try dense(x).scalars, try layer(x).scalars, tolerance: 1e-5)
    }

    @Test("a Dense that is not built, a rank below 1 or a dropout rate outside [0, 1) is refused")
    func invalid() throws {
        #expect(throws: LayerError.notBuilt(layer: "LoRADense (its Dense)")) { try LoRADense(wrapping: Dense(3), rank: 2, alpha: 2) }
        let base = Dense(3, inFeatures: 2)
        #expect(throws: LayerError.self) { try LoRADense(wrapping: base, rank: 0, alpha: 2) }
        #expect(throws: LayerError.self) { try LoRADense(wrapping: base, rank: 2, alpha: 2, dropout: 1) }
        #expect(throws: LayerError.self) { try LoRADense(wrapping: base, rank: 2, alpha: .nan) }
    }
}
