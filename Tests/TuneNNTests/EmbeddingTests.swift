import Foundation
import Testing
import TuneCore
@testable import TuneNN

@Suite("Embedding")
struct EmbeddingLayerTests {
    @Test("the weight is [count, dimension] under PyTorch's name, drawn from N(0, 0.02²)")
    func parameters() throws {
        let layer = Embedding(count: 100, dimension: 50)
        #expect(layer.namedParameters().map(\.path) == ["weight"])
        #expect(layer.weight.shape == [100, 50] && layer.weight.requiresGradient)
        let values = layer.weight.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        #expect(abs(mean) < 0.002)
        #expect(abs(deviation - 0.02) < 0.001, "standard deviation \(deviation)")
        let again = Embedding(count: 100, dimension: 50)
        #expect(again.weight.scalars == layer.weight.scalars)
        let shared = WeightGenerator(seed: 3)
        let first = Embedding(count: 4, dimension: 2, generator: shared), second = Embedding(count: 4, dimension: 2, generator: shared)
        #expect(first.weight.scalars != second.weight.scalars)
    }

    @Test("it looks up rows in shape + [dimension] and back-propagates into the rows it used")
    func lookupAndGradient() throws {
        let layer = Embedding(count: 5, dimension: 3)
        let output = try layer([4, 1, 1, 0], shape: [2, 2])
        #expect(output.shape == [2, 2, 3])
        let table = layer.weight.scalars
        let rows: [Int] = [4, 1, 1, 0]
        let expected: [Float] = rows.flatMap { row in Array(table[(row * 3)..<(row * 3 + 3)]) }
        #expect(output.scalars == expected)
        try output.sum().backward()
        let counts: [Float] = [1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1]
        #expect(try #require(layer.weight.gradient).scalars == counts)
    }

    @Test("a frozen embedding records nothing; an out-of-range index is reported")
    func frozenAndErrors() throws {
        let layer = Embedding(count: 3, dimension: 2)
        layer.isTrainable = false
        let frozen = try layer([0, 2], shape: [2])
        #expect(!frozen.requiresGradient)
        let error = #expect(throws: TensorError.self) { try layer([0, 3], shape: [1, 2]) }
        #expect(error?.description.contains("index 3 at position [0, 1]") == true)
    }
}
