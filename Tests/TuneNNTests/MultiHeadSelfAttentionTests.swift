import Foundation
import Testing
import TuneCore
@testable import TuneNN

/// Self-attention computed with Double loops from the layer's weights; keys where `attention` is 0 are left out.
func naiveSelfAttention(_ layer: MultiHeadSelfAttention, input: Tensor, attention: [Int32]) throws -> [Float] {
    let (batch, length, width) = (input.shape[0], input.shape[1], input.shape[2])
    let size = width / layer.heads
    let x = input.scalars.map(Double.init)
    func project(_ projection: Layer, _ rows: [Double]) throws -> [Double] {
        let dense = try #require(projection as? Dense)
        let weight = try #require(dense.weight).scalars.map(Double.init), bias = try #require(dense.bias).scalars
        return (0..<(rows.count / width)).flatMap { row in
            (0..<width).map { o in
                var total = Double(bias[o])
                for j in 0..<width { total += weight[o * width + j] * rows[row * width + j] }
                return total
            }
        }
    }
    let q = try project(layer.query, x), k = try project(layer.key, x), v = try project(layer.value, x)
    var mixed = [Double](repeating: 0, count: x.count)
    for b in 0..<batch { for h in 0..<layer.heads { for i in 0..<length {
        let keys = (0..<length).filter { attention[b * length + $0] == 1 }
        func score(_ j: Int) -> Double {
            var total = 0.0
            for d in 0..<size { total += q[(b * length + i) * width + h * size + d] * k[(b * length + j) * width + h * size + d] }
            return total / Double(size).squareRoot()
        }
        let scores = keys.map(score)
        let top = scores.max() ?? 0
        let exponentials = scores.map { Foundation.exp($0 - top) }
        let total = exponentials.reduce(0, +)
        for (position, j) in keys.enumerated() {
            let weight = exponentials[position] / total
            for d in 0..<size { mixed[(b * length + i) * width + h * size + d] += weight * v[(b * length + j) * width + h * size + d] }
        }
    } } }
    return try project(layer.output, mixed).map(Float.init)
}

@Suite("MultiHeadSelfAttention")
struct MultiHeadSelfAttentionTests {
    /// A layer whose weights are drawn from U(−0.5, 0.5), large enough for attention to be far from uniform.
    static func layer(width: Int, heads: Int, dropout: Float = 0.1, seed: UInt64 = 1) throws -> MultiHeadSelfAttention {
        let layer = MultiHeadSelfAttention(width: width, heads: heads, dropout: dropout, generator: WeightGenerator(seed: seed))
        var generator = SeededGenerator(seed: seed)
        for (_, parameter) in layer.namedParameters() {
            try parameter.assign(Tensor.uniform(parameter.shape, low: -0.5, high: 0.5, generator: &generator))
        }
        return layer
    }

    static func input(_ shape: Shape, seed: UInt64, requiresGradient: Bool = false) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.normal(shape, generator: &generator, requiresGradient: requiresGradient)
    }

    @Test("children are query, key, value and output, each a width × width Dense with a bias")
    func structure() {
        let layer = MultiHeadSelfAttention(width: 8, heads: 2)
        #expect(layer.children.map(\.name) == ["query", "key", "value", "output"])
        let paths = ["query", "key", "value", "output"].flatMap { ["\($0).weight", "\($0).bias"] }
        #expect(layer.namedParameters().map(\.path) == paths)
        for (path, tensor) in layer.namedParameters() {
            let expected: Shape = path.hasSuffix("weight") ? [8, 8] : [8]
            #expect(tensor.shape == expected, "\(path)")
        }
        // BERT's initialization: N(0, 0.02²) weights, zero biases; each projection draws its own.
        let weights = layer.namedParameters().filter { $0.path.hasSuffix("weight") }.map { $0.tensor.scalars }
        #expect(weights.allSatisfy { $0.allSatisfy { abs($0) < 0.2 } })
        #expect(Set(weights.map { $0.first ?? 0 }).count == 4)
        #expect(layer.dropoutRate == 0.1)
    }

    @Test("the output matches a Double loop, padded keys left out")
    func forward() throws {
        let layer = try Self.layer(width: 8, heads: 2)
        let input = Self.input([2, 5, 8], seed: 2)
        let attention: [Int32] = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
        let mask = try Tensor.additivePaddingMask(attention, batch: 2, length: 5)
        let output = try layer(input, mask: mask, context: .inference)
        #expect(output.shape == [2, 5, 8])
        expectClose(output.scalars, try naiveSelfAttention(layer, input: input, attention: attention), tolerance: 1e-5)
        // Without a mask every key is attended to.
        let unmasked = try layer(input)
        expectClose(unmasked.scalars, try naiveSelfAttention(layer, input: input, attention: [Int32](repeating: 1, count: 10)),
                    tolerance: 1e-5)
    }

    @Test("outputs at real tokens do not change when the padded tokens' vectors do")
    func paddingIsNeverAttended() throws {
        let layer = try Self.layer(width: 8, heads: 4)
        let attention: [Int32] = [1, 1, 1, 0, 1, 1, 0, 0]
        let mask = try Tensor.additivePaddingMask(attention, batch: 2, length: 4)
        let input = Self.input([2, 4, 8], seed: 3)
        let before = try layer(input, mask: mask, context: .inference).scalars
        let changed = input.copy()
        changed.withUnsafeMutableBufferPointer { values in
            for (position, flag) in attention.enumerated() where flag == 0 {
                for j in 0..<8 { values[position * 8 + j] = Float(j) * 3 - 10 }
            }
        }
        let after = try layer(changed, mask: mask, context: .inference).scalars
        var differing = 0
        for (position, flag) in attention.enumerated() where flag == 1 {
            for j in 0..<8 where abs(before[position * 8 + j] - after[position * 8 + j]) > 1e-6 { differing += 1 }
        }
        #expect(differing == 0)
        // The padded positions' own outputs do change (they still attend to the real tokens with their new queries).
        let padded = 24..<32
        #expect(before[padded] != after[padded])
    }

    @Test("whole-layer gradients for the input and every parameter match finite differences (B 2, T 3, width 4, 2 heads)")
    func gradients() throws {
        let layer = try Self.layer(width: 4, heads: 2, seed: 4)
        let input = Self.input([2, 3, 4], seed: 5, requiresGradient: true)
        let mask = try Tensor.additivePaddingMask([1, 1, 1, 1, 1, 0], batch: 2, length: 3)
        var tensors: [(name: String, tensor: Tensor)] = [("input", input)]
        for (path, parameter) in layer.namedParameters() { tensors.append((path, parameter)) }
        let compared = try expectFiniteDifferenceGradients(tensors) {
            try layer(input, mask: mask, context: .inference)
        }
        #expect(compared == 24 + 4 * (16 + 4))
        // In training mode too, with the dropout mask fixed by the context's seed.
        try expectFiniteDifferenceGradients(tensors) {
            try layer(input, mask: mask, context: ForwardContext(isTraining: true, seed: 6))
        }
    }

    @Test("training-mode dropout changes the output reproducibly; inference is deterministic")
    func dropoutModes() throws {
        let layer = try Self.layer(width: 8, heads: 2, dropout: 0.3)
        let input = Self.input([2, 6, 8], seed: 7)
        let mask = try Tensor.additivePaddingMask([Int32](repeating: 1, count: 12), batch: 2, length: 6)
        let inference = try layer(input, mask: mask, context: .inference).scalars
        #expect(try layer(input, mask: mask, context: .inference).scalars == inference)
        let training = try layer(input, mask: mask, context: ForwardContext(isTraining: true, seed: 8)).scalars
        #expect(training != inference)
        #expect(try layer(input, mask: mask, context: ForwardContext(isTraining: true, seed: 8)).scalars == training)
        #expect(try layer(input, mask: mask, context: ForwardContext(isTraining: true, seed: 9)).scalars != training)
        let noDropout = try Self.layer(width: 8, heads: 2, dropout: 0)
        let plain = try noDropout(input, mask: mask, context: .inference).scalars
        #expect(try noDropout(input, mask: mask, context: ForwardContext(isTraining: true, seed: 8)).scalars == plain)
    }

    @Test("a width the heads do not divide, a bad dropout rate and a wrong input shape are reported")
    func errors() throws {
        let mask = Tensor(zeros: [1, 1, 1, 2])
        #expect(throws: LayerError.invalidConfiguration(layer: "MultiHeadSelfAttention", message: "width 6 is not divisible by 4 heads")) {
            try MultiHeadSelfAttention(width: 6, heads: 4)(Tensor(zeros: [1, 2, 6]), mask: mask, context: .inference)
        }
        #expect(throws: LayerError.invalidConfiguration(layer: "MultiHeadSelfAttention", message: "dropout rate 1.0 must be in [0, 1)")) {
            try MultiHeadSelfAttention(width: 4, heads: 2, dropout: 1)(Tensor(zeros: [1, 2, 4]), mask: mask, context: .inference)
        }
        let layer = MultiHeadSelfAttention(width: 4, heads: 2)
        #expect(throws: LayerError.shapeMismatch(layer: "MultiHeadSelfAttention", expected: "[B, T, 4]", got: [2, 4])) {
            try layer(Tensor(zeros: [2, 4]), mask: mask, context: .inference)
        }
        #expect(throws: LayerError.shapeMismatch(layer: "MultiHeadSelfAttention", expected: "[B, T, 4]", got: [1, 2, 5])) {
            try layer(Tensor(zeros: [1, 2, 5]), mask: mask, context: .inference)
        }
        #expect(throws: TensorError.self) {
            try layer(Tensor(zeros: [1, 2, 4]), mask: Tensor(zeros: [1, 1, 1, 3]), context: .inference)
        }
    }

    @Test("a LoRADense stands in for a projection under the same name: same paths, same output until B moves")
    func replacingAProjection() throws {
        let layer = try Self.layer(width: 8, heads: 2)
        let input = Self.input([2, 5, 8], seed: 2)
        let mask = Tensor(scalar: 0)
        let before = try layer(input, mask: mask, context: .inference).scalars
        let query = try #require(layer.query as? Dense)
        let adapter = try LoRADense(wrapping: query, rank: 2, alpha: 4)
        layer.replace(.query, with: adapter)
        #expect(layer.query === adapter && layer.layer(.query) === adapter)
        #expect(layer.children.map(\.name) == ["query", "key", "value", "output"])
        #expect(layer.namedParameters().prefix(4).map(\.path) == ["query.weight", "query.bias", "query.lora_A", "query.lora_B"])
        #expect(layer.namedParameters()[0].tensor === query.weight)
        expectClose(try layer(input, mask: mask, context: .inference).scalars, before, tolerance: 0)
        try adapter.loraB.assign(Tensor(repeating: 0.1, shape: adapter.loraB.shape))
        #expect(try layer(input, mask: mask, context: .inference).scalars != before)
        layer.replace(.query, with: try adapter.merged())
        #expect(layer.namedParameters().prefix(2).map(\.path) == ["query.weight", "query.bias"])
    }
}
