import Foundation
import Testing
import TuneCore
@testable import TuneNN

@Suite("LayerNorm")
struct LayerNormLayerTests {
    @Test("weight is ones and bias zeros under PyTorch's names; each row comes out with mean 0 and variance 1")
    func normalizes() throws {
        let layer = LayerNorm(dimension: 4)
        #expect(layer.namedParameters().map(\.path) == ["weight", "bias"])
        let (ones, zeros): ([Float], [Float]) = ([1, 1, 1, 1], [0, 0, 0, 0])
        #expect(layer.weight.scalars == ones)
        #expect(layer.bias.scalars == zeros)
        #expect(layer.epsilon == 1e-12)
        let input = try tensor([2, 1, 4], [1, 2, 3, 4, -2, 0, 2, 8])
        let output = try layer(input)
        #expect(output.shape == [2, 1, 4])
        for row in 0..<2 {
            let values = output.scalars[(row * 4)..<(row * 4 + 4)].map(Double.init)
            let mean = values.reduce(0, +) / 4
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4
            #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-5)
        }
        // [1, 2, 3, 4]: mean 2.5, population variance 1.25.
        let scale = 1 / Float(1.25).squareRoot()
        let expected: [Float] = [-1.5, -0.5, 0.5, 1.5].map { $0 * scale }
        expectClose(Array(output.scalars[0..<4]), expected, tolerance: 1e-6)
    }

    @Test("weight and bias apply per feature and receive gradients")
    func parametersTrain() throws {
        let layer = LayerNorm(dimension: 3, epsilon: 1e-5)
        try layer.weight.assign(tensor([3], [2, 1, 0.5]))
        try layer.bias.assign(tensor([3], [0, 1, -1]))
        var generator = SeededGenerator(seed: 1)
        let input = Tensor.normal([2, 2, 3], generator: &generator, requiresGradient: true)
        try expectFiniteDifferenceGradients([("input", input), ("weight", layer.weight), ("bias", layer.bias)]) {
            try layer(input)
        }
    }

    @Test("an input whose last axis is not the dimension is rejected")
    func shapeMismatch() {
        #expect(throws: LayerError.shapeMismatch(layer: "LayerNorm", expected: "[…, 4]", got: [2, 3])) {
            try LayerNorm(dimension: 4)(Tensor(zeros: [2, 3]))
        }
    }
}
