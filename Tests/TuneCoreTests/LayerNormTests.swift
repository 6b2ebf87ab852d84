import Foundation
import Testing
@testable import TuneCore

/// Plain-loop layer norm over the last axis in Double: each row's mean and population variance.
func naiveLayerNorm(_ x: Tensor, scale: [Float]?, shift: [Float]?, epsilon: Float) -> [Float] {
    let features = x.shape[x.shape.rank - 1]
    let p = x.scalars.map(Double.init)
    var out = [Float](repeating: 0, count: p.count)
    for row in 0..<(p.count / features) {
        let values = p[(row * features)..<((row + 1) * features)]
        let mean = values.reduce(0, +) / Double(features)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(features)
        let deviation = (variance + Double(epsilon)).squareRoot()
        for (j, value) in values.enumerated() {
            let normalized = (value - mean) / deviation
            let scaled = normalized * Double(scale?[j] ?? 1) + Double(shift?[j] ?? 0)
            out[row * features + j] = Float(scaled)
        }
    }
    return out
}

@Suite("Layer normalization")
struct LayerNormTests {
    static let shapes: [Shape] = [[7], [4, 6], [2, 3, 8], [2, 2, 2, 5], [1, 2, 1, 2, 1, 3]]

    @Test("it matches a Double loop for ranks 1 to 6", arguments: shapes)
    func forward(shape: Shape) throws {
        let features = shape[shape.rank - 1]
        let x = Make.normal(shape, seed: 330).affine(scale: 3, offset: 1.5)
        let scale = Make.uniform([features], 0.5, 1.5, seed: 331), shift = Make.uniform([features], seed: 332)
        let y = try x.layerNormalized(scale: scale, shift: shift, epsilon: 1e-5)
        #expect(y.shape == shape)
        let expected = naiveLayerNorm(x, scale: scale.scalars, shift: shift.scalars, epsilon: 1e-5)
        expectClose(y.scalars, expected, tolerance: 2e-5)
    }

    @Test("without scale or shift it normalizes only; BERT's tiny epsilon is fine")
    func optionalParameters() throws {
        let x = Make.normal([3, 5], seed: 333)
        let scale = Make.uniform([5], 0.5, 1.5, seed: 334), shift = Make.uniform([5], seed: 335)
        expectClose(try x.layerNormalized(scale: nil, shift: nil, epsilon: 1e-12).scalars,
                    naiveLayerNorm(x, scale: nil, shift: nil, epsilon: 1e-12), tolerance: 2e-5, "neither")
        expectClose(try x.layerNormalized(scale: scale, shift: nil, epsilon: 1e-5).scalars,
                    naiveLayerNorm(x, scale: scale.scalars, shift: nil, epsilon: 1e-5), tolerance: 2e-5, "scale only")
        expectClose(try x.layerNormalized(scale: nil, shift: shift, epsilon: 1e-5).scalars,
                    naiveLayerNorm(x, scale: nil, shift: shift.scalars, epsilon: 1e-5), tolerance: 2e-5, "shift only")
    }

    @Test("the variance is the population variance (÷ n), as PyTorch's")
    func populationVariance() throws {
        // Row [1, 3]: mean 2, population variance 1, so the output is [−1, 1] (÷ (n − 1) would give ±0.707).
        let y = try Make.tensor([1, 2], [1, 3]).layerNormalized(scale: nil, shift: nil, epsilon: 1e-12)
        expectClose(y.scalars, [-1, 1], tolerance: 1e-6)
    }

    @Test("gradients for the input, scale and shift", arguments: [[4, 6], [2, 3, 5], [9]] as [Shape])
    func gradient(shape: Shape) throws {
        let features = shape[shape.rank - 1]
        let x = Make.normal(shape, seed: 336)
        let scale = Make.uniform([features], 0.5, 1.5, seed: 337), shift = Make.uniform([features], seed: 338)
        try GradientCheck().check([x, scale, shift]) {
            try $0[0].layerNormalized(scale: $0[1], shift: $0[2], epsilon: 1e-5)
        }
    }

    @Test("gradients without scale and shift, and with only one of them")
    func gradientOptional() throws {
        let x = Make.normal([3, 4], seed: 339)
        try GradientCheck().check([x]) { try $0[0].layerNormalized(scale: nil, shift: nil, epsilon: 1e-5) }
        let scale = Make.uniform([4], 0.5, 1.5, seed: 340), shift = Make.uniform([4], seed: 341)
        try GradientCheck().check([x, scale]) { try $0[0].layerNormalized(scale: $0[1], shift: nil, epsilon: 1e-5) }
        try GradientCheck().check([x, shift]) { try $0[0].layerNormalized(scale: nil, shift: $0[1], epsilon: 1e-5) }
    }

    @Test("a frozen scale and shift still give the input gradient")
    func frozenParameters() throws {
        let x = Make.normal([2, 6], seed: 342)
        let scale = Make.uniform([6], 0.5, 1.5, seed: 343, requiresGradient: false)
        let shift = Make.uniform([6], seed: 344, requiresGradient: false)
        try GradientCheck().check([x, scale, shift]) { try $0[0].layerNormalized(scale: $0[1], shift: $0[2], epsilon: 1e-5) }
        #expect(scale.gradient == nil && shift.gradient == nil)
    }

    @Test("wrong parameter shapes, a scalar, an empty tensor and a bad epsilon throw")
    func errors() {
        let x = Tensor(zeros: [2, 3])
        let parameter = expectTensorError { try x.layerNormalized(scale: Tensor(zeros: [2]), shift: nil, epsilon: 1e-5) }
        #expect(parameter?.description.contains("must be [3]") == true)
        let scalar = expectTensorError { try Tensor(scalar: 1).layerNormalized(scale: nil, shift: nil, epsilon: 1e-5) }
        #expect(scalar?.description.contains("layerNorm") == true)
        let empty = expectTensorError { try Tensor(zeros: [0, 3]).layerNormalized(scale: nil, shift: nil, epsilon: 1e-5) }
        #expect(empty?.description.contains("empty") == true)
        let epsilon = expectTensorError { try x.layerNormalized(scale: nil, shift: nil, epsilon: 0) }
        #expect(epsilon?.description.contains("epsilon") == true)
    }
}
