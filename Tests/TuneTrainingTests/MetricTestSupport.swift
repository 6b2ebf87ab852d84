import Testing
import TuneCore

/// A metric test's input tensor.
func tensor(_ shape: Shape, _ scalars: [Float]) throws -> Tensor { try Tensor(shape: shape, scalars: scalars) }

/// Expects `actual` to match `expected` element by element within `tolerance` (relative beyond magnitude 1).
func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let close = actual.count == expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    #expect(close, "\(actual) vs expected \(expected) (±\(tolerance))", sourceLocation: sourceLocation)
}

/// Expects `actual` within `tolerance` of `expected`.
func expectClose(_ actual: Float, _ expected: Float, tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([actual], [expected], tolerance: tolerance, sourceLocation: sourceLocation)
}
