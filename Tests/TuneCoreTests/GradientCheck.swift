import Testing
@testable import TuneCore

/// Compares reverse-mode gradients with central finite differences.
///
/// For `f(inputs) -> Tensor` the checker draws a fixed random weight `r` (uniform in [-1, 1), same shape as the
/// output) and differentiates the scalar `L(x) = sum(f(x) * r)`:
///
/// * **analytic**: `L` is built with TuneCore ops (`*`, `sum`) and `backward()` fills every input's `gradient`;
/// * **numeric**: for each checked element `xᵢ`, `(L(xᵢ + h) − L(xᵢ − h)) / 2h`, where `L` is evaluated under
///   ``withoutGradient(_:)`` and the products `f(x)ⱼ · rⱼ` are accumulated in `Double` to keep Float32
///   rounding out of the difference.
///
/// Every element of an input with at most ``maximumCheckedElements`` elements is checked; bigger inputs are
/// checked on a seeded random subset of that many distinct elements.
///
/// **Tolerances** (Float32 forward passes): the default step is `h = 1e-2` and an element passes when
/// `|analytic − numeric| ≤ tolerance · max(1, |numeric|)` with `tolerance = 2e-2`. The truncation error of the
/// central difference is `O(h²)` and the rounding error about `1e-6 / h`, both well inside that bound for smooth
/// functions of inputs of order 1. Callers must keep inputs at least `2h` away from kinks (ReLU at 0, clamp
/// borders, max-pool ties), otherwise the finite difference straddles the kink.
struct GradientCheck {
    /// The finite-difference step.
    var step: Float = 1e-2
    /// The relative tolerance (absolute below magnitude 1).
    var tolerance: Float = 2e-2
    /// Inputs with more elements are checked on a random subset of this size.
    var maximumCheckedElements = 60
    /// Seeds the output weights `r` and the element subsets.
    var seed: UInt64 = 0x5EED
    /// Whether mismatches are recorded as test issues (off only to test the checker itself).
    var recordsIssues = true

    /// One compared element.
    struct Mismatch: CustomStringConvertible {
        let input: Int
        let index: Int
        let analytic: Float
        let numeric: Float
        var description: String { "input \(input)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    /// What one check compared and which elements disagreed.
    struct Report {
        /// The number of compared elements, over all inputs.
        let compared: Int
        let mismatches: [Mismatch]
    }

    /// Checks the gradients of `f` with respect to every input that requires a gradient, recording one test issue
    /// listing the mismatches (if any). The report lets callers assert coverage.
    @discardableResult
    func check(_ inputs: [Tensor], sourceLocation: SourceLocation = #_sourceLocation,
               _ f: ([Tensor]) throws -> Tensor) throws -> Report {
        var generator = SeededGenerator(seed: seed)
        for input in inputs { input.zeroGradient() }

        let output = try f(inputs)
        #expect(output.requiresGradient, "the checked function must record on the tape", sourceLocation: sourceLocation)
        let weights = Tensor.uniform(output.shape, low: -1, high: 1, generator: &generator)
        try (output * weights).sum().backward()
        let r = weights.scalars

        func loss() throws -> Double {
            let y = try withoutGradient { try f(inputs) }
            #expect(y.shape == output.shape, sourceLocation: sourceLocation)
            return zip(y.scalars, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }

        var compared = 0
        var mismatches: [Mismatch] = []
        for (inputIndex, input) in inputs.enumerated() where input.requiresGradient {
            guard let gradient = input.gradient else {
                Issue.record("input \(inputIndex) \(input.shape) received no gradient", sourceLocation: sourceLocation)
                continue
            }
            #expect(gradient.shape == input.shape, sourceLocation: sourceLocation)
            let analytic = gradient.scalars
            for index in chosenIndices(count: input.elementCount, generator: &generator) {
                let original = input.scalars[index]
                func set(_ value: Float) { input.withUnsafeMutableBufferPointer { $0[index] = value } }
                set(original + step)
                let plus = try loss()
                set(original - step)
                let minus = try loss()
                set(original)
                // Use the step actually representable in Float32 around `original`.
                let width = Double(original + step) - Double(original - step)
                let numeric = Float((plus - minus) / width)
                compared += 1
                if abs(analytic[index] - numeric) > tolerance * max(1, abs(numeric)) {
                    mismatches.append(Mismatch(input: inputIndex, index: index, analytic: analytic[index], numeric: numeric))
                }
            }
        }
        if recordsIssues, !mismatches.isEmpty {
            let listing = mismatches.prefix(8).map(\.description).joined(separator: "; ")
            Issue.record("\(mismatches.count) of \(compared) gradient elements differ: \(listing)", sourceLocation: sourceLocation)
        }
        return Report(compared: compared, mismatches: mismatches)
    }

    private func chosenIndices(count: Int, generator: inout SeededGenerator) -> [Int] {
        guard count > maximumCheckedElements else { return Array(0..<count) }
        var all = Array(0..<count)
        all.shuffle(using: &generator)
        return Array(all.prefix(maximumCheckedElements)).sorted()
    }
}

@Suite("Gradient checker")
struct GradientCheckTests {
    /// `2x` whose recorded backward deliberately returns `scale · gradient` instead of `2 · gradient`.
    static func doubled(_ x: Tensor, backwardScale: Float) -> Tensor {
        let result = withoutGradient { x.scaled(by: 2) }
        return Tensor.record(result, op: "doubled", inputs: [x]) { gradient in [gradient.scaled(by: backwardScale)] }
    }

    @Test("The checker accepts a correct gradient and checks every element of a small input")
    func acceptsCorrectGradient() throws {
        let x = Make.uniform([3, 4], seed: 1)
        let report = try GradientCheck().check([x]) { Self.doubled($0[0], backwardScale: 2) }
        #expect(report.compared == 12)
        #expect(report.mismatches.isEmpty)
    }

    @Test("The checker flags a gradient that is 5 % off")
    func flagsWrongGradient() throws {
        let x = Make.uniform([3, 4], seed: 2)
        var checker = GradientCheck()
        checker.recordsIssues = false
        let report = try checker.check([x]) { Self.doubled($0[0], backwardScale: 2.1) }
        // The error 0.1·|r| exceeds the tolerance 2e-2·max(1, 2·|r|) wherever the upstream weight |r| > 0.2.
        #expect(report.mismatches.count >= 6)
        #expect(report.mismatches.allSatisfy { abs($0.analytic / $0.numeric - 1.05) < 1e-3 })
    }

    @Test("The checker samples at most 60 elements of a big input")
    func samplesBigInputs() throws {
        let x = Make.uniform([10, 10], seed: 3)
        #expect(try GradientCheck().check([x]) { $0[0].squared() }.compared == 60)
    }
}
