import Foundation
import Testing
import TuneCore
@testable import TuneNN

/// A tensor from a shape and scalars (test inputs are always well-formed).
func tensor(_ shape: Shape, _ scalars: [Float], requiresGradient: Bool = false) throws -> Tensor {
    try Tensor(shape: shape, scalars: scalars, requiresGradient: requiresGradient)
}

/// Expects two float arrays to agree element-wise within `tolerance` (absolute, plus relative for large values).
func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "counts differ: \(actual) vs \(expected)", sourceLocation: sourceLocation)
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let allowed = tolerance * max(1, abs(e))
        #expect(abs(a - e) <= allowed, "element \(index): \(a) vs expected \(e) (±\(allowed))", sourceLocation: sourceLocation)
    }
}

/// Expects one float to be within `tolerance` of another.
func expectClose(_ actual: Float, _ expected: Float, tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([actual], [expected], tolerance: tolerance, sourceLocation: sourceLocation)
}

/// Central finite differences of a scalar function of a tensor, evaluated without the tape.
func numericalGradient(at values: [Float], shape: Shape, step: Float = 1e-3,
                       _ function: (Tensor) throws -> Float) throws -> [Float] {
    try withoutGradient {
        try values.indices.map { index in
            var plus = values, minus = values
            plus[index] += step
            minus[index] -= step
            let high = try function(tensor(shape, plus))
            let low = try function(tensor(shape, minus))
            return (high - low) / (2 * step)
        }
    }
}

/// A layer that only holds the parameters it is given, for optimizer tests.
final class ParameterHolder: Layer {
    init(_ parameters: [(String, Tensor)]) {
        super.init(kind: "ParameterHolder")
        for (name, parameter) in parameters { registerParameter(name, parameter) }
        markBuilt()
    }
}

/// Runs backward on `½ · Σ w²` over every parameter of `model`, so each gradient equals its parameter.
func backpropagateHalfSquaredNorm(_ model: Layer) throws {
    model.zeroGradients()
    var total: Tensor?
    for (_, parameter) in model.namedParameters() where parameter.requiresGradient {
        let term = try parameter.squared().sum().scaled(by: 0.5)
        total = try total.map { try $0 + term } ?? term
    }
    try total?.backward()
}

/// Runs backward on `Σ c ⊙ w` for one parameter, so its gradient is the constant `c`.
func backpropagateConstantGradient(_ parameter: Tensor, _ gradient: [Float]) throws {
    parameter.zeroGradient()
    try (parameter * tensor(parameter.shape, gradient)).sum().backward()
}
