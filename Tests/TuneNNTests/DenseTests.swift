import Testing
import TuneCore
@testable import TuneNN

@Suite("Dense")
struct DenseTests {
    @Test("a Dense layer maps [B, T, in] to [B, T, out] row by row, with gradients in the input's shape")
    func rankThree() throws {
        let layer = Dense(3, inFeatures: 4)
        try #require(layer.bias).assign(tensor([3], [0.5, -1, 2]))
        var generator = SeededGenerator(seed: 2)
        let input = Tensor.normal([2, 5, 4], generator: &generator, requiresGradient: true)
        let output = try layer(input)
        #expect(output.shape == [2, 5, 3])
        let weight = try #require(layer.weight).scalars, bias = try #require(layer.bias).scalars, x = input.scalars
        var expected: [Float] = []
        for row in 0..<10 {
            for o in 0..<3 {
                var total = bias[o]
                for j in 0..<4 { total += weight[o * 4 + j] * x[row * 4 + j] }
                expected.append(total)
            }
        }
        expectClose(output.scalars, expected, tolerance: 1e-5)
        let weightTensor = try #require(layer.weight), biasTensor = try #require(layer.bias)
        try expectFiniteDifferenceGradients([("input", input), ("weight", weightTensor), ("bias", biasTensor)]) { try layer(input) }
    }
}
