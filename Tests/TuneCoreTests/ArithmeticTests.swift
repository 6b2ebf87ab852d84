import Foundation
import Testing
@testable import TuneCore

@Suite("Element-wise arithmetic")
struct ArithmeticTests {
    typealias Binary = @Sendable (Tensor, Tensor) throws -> Tensor

    static let operators: [(name: String, apply: Binary)] = [
        ("add", { try $0 + $1 }), ("subtract", { try $0 - $1 }),
        ("multiply", { try $0 * $1 }), ("divide", { try $0 / $1 }),
    ]

    /// Operand pairs exercising every broadcasting direction.
    static let shapePairs: [(Shape, Shape)] = [
        ([2, 3, 4], [2, 3, 4]),
        ([2, 3, 4], [3, 1]),
        ([3, 1], [2, 3, 4]),
        ([2, 3, 4], []),
        ([], [2, 3, 4]),
        ([2, 1, 4], [3, 1]),
    ]

    @Test("Forward values of + − × ÷ broadcast like NumPy")
    func forwardBroadcasting() throws {
        let a = Make.tensor([2, 3], [1, 2, 3, 4, 5, 6])
        let column = Make.tensor([2, 1], [10, 20])
        let row = Make.tensor([3], [1, 2, 4])
        #expect(try (a + column).scalars == [11, 12, 13, 24, 25, 26])
        #expect(try (a - row).scalars == [0, 0, -1, 3, 3, 2])
        #expect(try (column * row).scalars == [10, 20, 40, 20, 40, 80])
        #expect(try (a / Tensor(scalar: 2)).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect(try (a / column).shape == [2, 3])
    }

    @Test("Gradients of + − × ÷ are right for every broadcasting pattern",
          arguments: 0..<4, 0..<6)
    func binaryGradients(operatorIndex: Int, pairIndex: Int) throws {
        let (name, apply) = Self.operators[operatorIndex]
        let (shapeA, shapeB) = Self.shapePairs[pairIndex]
        let a = Make.uniform(shapeA, seed: 1)
        // Keep divisors away from zero.
        let b = Make.awayFromZero(shapeB, minimum: 0.5, maximum: 1.5, seed: 2)
        let report = try GradientCheck().check([a, b]) { try apply($0[0], $0[1]) }
        #expect(report.compared == shapeA.elementCount + shapeB.elementCount, "\(name)")
    }

    @Test("The same tensor on both sides of an operator gets both gradients")
    func sameOperandTwice() throws {
        let x = Make.awayFromZero([3, 2], seed: 3)
        try GradientCheck().check([x]) { try $0[0] * $0[0] }
        try GradientCheck().check([x]) { try $0[0] / $0[0] + $0[0] }
    }

    @Test("Gradients flow only to the operand that requires one")
    func oneSidedGradient() throws {
        let a = Make.uniform([2, 3], seed: 4)
        let b = Make.uniform([3], seed: 5, requiresGradient: false)
        try (try a * b).sum().backward()
        #expect(b.gradient == nil)
        expectClose(try #require(a.gradient).scalars, (0..<6).map { b.scalars[$0 % 3] })
    }

    @Test("affine, scaled and the scalar operators have the right values and gradients")
    func affineFamily() throws {
        let x = Make.uniform([2, 3], seed: 6)
        expectClose(x.affine(scale: 3, offset: -1).scalars, x.scalars.map { $0 * 3 - 1 })
        expectClose((x * 2).scalars, x.scalars.map { $0 * 2 })
        expectClose((x + 2).scalars, x.scalars.map { $0 + 2 })
        expectClose((x - 2).scalars, x.scalars.map { $0 - 2 })
        expectClose((-x).scalars, x.scalars.map { -$0 })
        try GradientCheck().check([x]) { $0[0].affine(scale: -2.5, offset: 0.75) }
        try GradientCheck().check([x]) { $0[0].scaled(by: 0.3) }
        try GradientCheck().check([x]) { (-$0[0] * 4 + 1) - 3 }
    }

    @Test("Unary math forward values match Foundation")
    func unaryForward() throws {
        let x = Make.uniform([10], 0.1, 3, seed: 7)
        expectClose(x.exp().scalars, x.scalars.map { Foundation.exp($0) })
        expectClose(x.log().scalars, x.scalars.map { Foundation.log($0) })
        expectClose(x.squareRoot().scalars, x.scalars.map { $0.squareRoot() })
        expectClose(x.squared().scalars, x.scalars.map { $0 * $0 })
        let signed = Make.uniform([10], -3, 3, seed: 8)
        expectClose(signed.absolute().scalars, signed.scalars.map { Swift.abs($0) })
        expectClose(signed.clamped(low: -1, high: 0.5).scalars, signed.scalars.map { Swift.min(Swift.max($0, -1), 0.5) })
    }

    @Test("exp, log, squareRoot and squared have correct gradients")
    func smoothUnaryGradients() throws {
        try GradientCheck().check([Make.uniform([2, 3, 4], -2, 2, seed: 9)]) { $0[0].exp() }
        try GradientCheck().check([Make.uniform([2, 3, 4], 0.5, 3, seed: 10)]) { $0[0].log() }
        try GradientCheck().check([Make.uniform([2, 3, 4], 0.5, 3, seed: 11)]) { $0[0].squareRoot() }
        try GradientCheck().check([Make.uniform([2, 3, 4], -2, 2, seed: 12)]) { $0[0].squared() }
    }

    @Test("absolute has gradient ±1 away from zero")
    func absoluteGradient() throws {
        let x = Make.awayFromZero([2, 3, 4], seed: 13)
        try GradientCheck().check([x]) { $0[0].absolute() }
        x.zeroGradient()
        try x.absolute().sum().backward()
        #expect(try #require(x.gradient).scalars == x.scalars.map { $0 > 0 ? 1 : -1 })
    }

    @Test("clamped passes the gradient inside the range and blocks it outside")
    func clampedGradient() throws {
        // Values at least 0.1 from the borders −0.5 and 0.5.
        let x = Make.tensor([8], [-1.2, -0.8, -0.3, -0.1, 0.05, 0.3, 0.7, 1.4], requiresGradient: true)
        try GradientCheck().check([x]) { $0[0].clamped(low: -0.5, high: 0.5) }
        x.zeroGradient()
        try x.clamped(low: -0.5, high: 0.5).sum().backward()
        #expect(try #require(x.gradient).scalars == [0, 0, 1, 1, 1, 1, 0, 0])
    }
}
