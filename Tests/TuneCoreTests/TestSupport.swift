import Testing
@testable import TuneCore

/// Seeded tensors and comparisons shared by the TuneCore suites.
enum Make {
    /// Uniform values in `[low, high)`.
    static func uniform(_ shape: Shape, _ low: Float = -1, _ high: Float = 1, seed: UInt64,
                        requiresGradient: Bool = true) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.uniform(shape, low: low, high: high, generator: &generator, requiresGradient: requiresGradient)
    }

    /// Standard normal values.
    static func normal(_ shape: Shape, seed: UInt64, requiresGradient: Bool = true) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.normal(shape, generator: &generator, requiresGradient: requiresGradient)
    }

    /// Values with magnitude in `[minimum, maximum)` and a random sign: keeps inputs away from kinks at 0
    /// and away from divisions by small numbers.
    static func awayFromZero(_ shape: Shape, minimum: Float = 0.2, maximum: Float = 1.5, seed: UInt64,
                             requiresGradient: Bool = true) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let values = (0..<shape.elementCount).map { _ -> Float in
            let magnitude = minimum + (maximum - minimum) * generator.nextUniform()
            return generator.nextUniform() < 0.5 ? -magnitude : magnitude
        }
        return tensor(shape, values, requiresGradient: requiresGradient)
    }

    /// A random permutation of `offset + spacing · k`: no two elements are closer than `spacing`,
    /// so max pooling has no ties within a finite-difference step.
    static func distinct(_ shape: Shape, spacing: Float = 0.05, seed: UInt64, requiresGradient: Bool = true) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let count = shape.elementCount
        var values = (0..<count).map { spacing * (Float($0) - Float(count) / 2) }
        values.shuffle(using: &generator)
        return tensor(shape, values, requiresGradient: requiresGradient)
    }

    /// A tensor from explicit scalars.
    static func tensor(_ shape: Shape, _ scalars: [Float], requiresGradient: Bool = false) -> Tensor {
        // swiftlint:disable:next force_try
        try! Tensor(shape: shape, scalars: scalars, requiresGradient: requiresGradient)
    }
}

/// Records an issue unless `actual` and `expected` have the same count and agree element-wise within
/// `tolerance · max(1, |expected|)`.
func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ what: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) elements, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst: (index: Int, error: Float)?
    var failures = 0
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let error = abs(a - e)
        let ok = error <= tolerance * max(1, abs(e)) && a.isNaN == e.isNaN
        if !ok {
            failures += 1
            if worst == nil || error > worst?.error ?? 0 { worst = (index, error) }
        }
    }
    if let worst {
        let detail = "worst at \(worst.index): \(actual[worst.index]) vs expected \(expected[worst.index])"
        Issue.record("\(what): \(failures) of \(actual.count) elements differ; \(detail)", sourceLocation: sourceLocation)
    }
}

/// `expectClose` for tensors, also checking the shape.
func expectClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float = 1e-4, _ what: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what)", sourceLocation: sourceLocation)
    expectClose(actual.scalars, expected.scalars, tolerance: tolerance, what, sourceLocation: sourceLocation)
}

/// Runs `body`, expects it to throw a ``TensorError`` and returns it (or `nil` after recording an issue).
@discardableResult
func expectTensorError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any) -> TensorError? {
    do {
        let value = try body()
        Issue.record("expected a TensorError, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as TensorError {
        return error
    } catch {
        Issue.record("expected a TensorError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
