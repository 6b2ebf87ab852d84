import Foundation
import Testing
import TuneCore
@testable import TuneNN

@Suite("AdaptiveAveragePool2D")
struct AdaptiveAveragePoolTests {
    @Test("each output cell averages PyTorch's window ⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉, overlapping when the input is smaller")
    func windows() throws {
        // 1 × 1 × 2 × 3 input pooled to 3 × 2: rows [0,1) [0,2) [1,2); columns [0,2) [1,3).
        let input = try tensor([1, 1, 2, 3], [1, 2, 3, 4, 5, 6])
        let output = try AdaptiveAveragePool2D(outputSize: (3, 2))(input)
        #expect(output.shape == [1, 1, 3, 2])
        expectClose(output.scalars, [1.5, 2.5, 3, 4, 4.5, 5.5])
        // Downsampling 5 → 2: windows [0,3) and [2,5).
        let wide = try tensor([1, 1, 1, 5], [1, 2, 3, 4, 5])
        expectClose(try AdaptiveAveragePool2D(outputSize: (1, 2))(wide).scalars, [2, 4])
    }

    @Test("an input of the output size passes through unchanged")
    func identity() throws {
        let input = try tensor([2, 3, 7, 7], (0..<294).map { Float($0) })
        #expect(try AdaptiveAveragePool2D(outputSize: (7, 7))(input) === input)
    }

    @Test("its gradient matches finite differences")
    func gradient() throws {
        let shape: Shape = [2, 2, 3, 4]
        let values = (0..<shape.elementCount).map { Float(sin(0.7 * Double($0))) }
        let weights = try tensor([2, 2, 5, 3], (0..<60).map { Float(cos(0.3 * Double($0))) })
        let pool = AdaptiveAveragePool2D(outputSize: (5, 3))
        let x = try tensor(shape, values, requiresGradient: true)
        try (pool(x) * weights).sum().backward()
        let analytic = try #require(x.gradient).scalars
        let numeric = try numericalGradient(at: values, shape: shape) { try (pool($0) * weights).sum().scalar() }
        expectClose(analytic, numeric, tolerance: 2e-3)
    }

    @Test("a rank other than 4 is refused")
    func rank() throws {
        #expect(throws: LayerError.self) { try AdaptiveAveragePool2D(outputSize: (2, 2))(tensor([4], [1, 2, 3, 4])) }
    }
}
