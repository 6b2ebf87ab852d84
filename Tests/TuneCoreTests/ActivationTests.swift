import Foundation
import Testing
@testable import TuneCore

/// Plain-loop softmax (or log-softmax) along `axis` of a row-major tensor, computed in `Double`.
func naiveSoftmax(_ x: Tensor, axis: Int, logarithmic: Bool = false) -> [Float] {
    let dims = x.shape.dimensions
    let axis = axis < 0 ? axis + dims.count : axis
    let outer = dims[..<axis].reduce(1, *), size = dims[axis], inner = dims[(axis + 1)...].reduce(1, *)
    let p = x.scalars
    var out = [Float](repeating: 0, count: p.count)
    for o in 0..<outer { for i in 0..<inner {
        let indices = (0..<size).map { (o * size + $0) * inner + i }
        let top = indices.map { Double(p[$0]) }.max() ?? 0
        let total = indices.reduce(0) { $0 + Foundation.exp(Double(p[$1]) - top) }
        for index in indices {
            let shifted = Double(p[index]) - top
            out[index] = Float(logarithmic ? shifted - Foundation.log(total) : Foundation.exp(shifted) / total)
        }
    } }
    return out
}

@Suite("Activations")
struct ActivationTests {
    static func reference(_ activation: Tensor.Activation, _ x: Float) -> Float {
        switch activation {
        case .relu: return Swift.max(x, 0)
        case .relu6: return Swift.min(Swift.max(x, 0), 6)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x / Float(2).squareRoot()))
        }
    }

    /// Inputs away from the kinks of ReLU (0) and ReLU6 (0 and 6), covering both sides of each.
    static func inputs(seed: UInt64) -> Tensor {
        let x = Make.awayFromZero([2, 3, 4], minimum: 0.1, maximum: 3, seed: seed)
        // Push a few elements past 6 so ReLU6's upper branch is exercised.
        x.withUnsafeMutableBufferPointer { p in p[1] = 7.5; p[7] = 6.4; p[13] = 5.5 }
        return x
    }

    @Test("Forward values match the textbook definitions", arguments: Tensor.Activation.allCases)
    func forward(activation: Tensor.Activation) throws {
        let x = Self.inputs(seed: 130)
        let y = try x.activated(activation)
        #expect(y.shape == x.shape)
        expectClose(y.scalars, x.scalars.map { Self.reference(activation, $0) }, tolerance: 1e-5, activation.rawValue)
    }

    @Test("The named methods compute their activation: hand-checked values on both sides of the kinks")
    func namedMethods() throws {
        let x = Make.tensor([6], [-2, -0.5, 0, 0.5, 3, 7])
        // Expected values from the definitions, in double precision, rounded to 8 decimals.
        expectClose(try x.relu().scalars, [0, 0, 0, 0.5, 3, 7], tolerance: 0, "relu")
        expectClose(try x.relu6().scalars, [0, 0, 0, 0.5, 3, 6], tolerance: 0, "relu6")
        expectClose(try x.sigmoid().scalars, [0.11920292, 0.37754067, 0.5, 0.62245933, 0.95257413, 0.99908895],
                    tolerance: 1e-6, "sigmoid")
        expectClose(try x.tanh().scalars, [-0.96402758, -0.46211716, 0, 0.46211716, 0.99505475, 0.99999834],
                    tolerance: 1e-6, "tanh")
        // GELU with the exact erf, 0.5 · x · (1 + erf(x / √2)), not the tanh approximation.
        expectClose(try x.gelu().scalars, [-0.04550026, -0.15426877, 0, 0.34573123, 2.99595031, 7],
                    tolerance: 1e-6, "gelu")
    }

    @Test("Gradients are right away from the kinks", arguments: Tensor.Activation.allCases)
    func gradient(activation: Tensor.Activation) throws {
        let x = Self.inputs(seed: 132)
        try GradientCheck().check([x]) { try $0[0].activated(activation) }
    }

    @Test("ReLU and ReLU6 pass the gradient exactly where the input is in range")
    func reluMasks() throws {
        let x = Make.tensor([5], [-1, 0.5, 3, 6.5, 10], requiresGradient: true)
        try x.relu().sum().backward()
        #expect(try #require(x.gradient).scalars == [0, 1, 1, 1, 1])
        x.zeroGradient()
        try x.relu6().sum().backward()
        #expect(try #require(x.gradient).scalars == [0, 1, 1, 0, 0])
    }

    @Test("Activating an empty tensor gives an empty tensor")
    func empty() throws {
        let x = Tensor(zeros: [0, 3])
        #expect(try x.relu().shape == [0, 3])
    }
}

@Suite("Softmax and log-softmax")
struct SoftmaxTests {
    @Test("softmax and logSoftmax match the naive computation on axis −1 and axis 1",
          arguments: [-1, 1, 0], [false, true])
    func forward(axis: Int, logarithmic: Bool) throws {
        let x = Make.normal([2, 3, 4], seed: 140).scaled(by: 3)
        let y = logarithmic ? try x.logSoftmax(axis: axis) : try x.softmax(axis: axis)
        expectClose(y.scalars, naiveSoftmax(x, axis: axis, logarithmic: logarithmic), tolerance: 1e-5)
    }

    @Test("softmax defaults to the last axis and is stable for large logits")
    func defaultsAndStability() throws {
        let x = Make.tensor([2, 3], [1000, 1001, 1002, -1000, 0, 1000])
        let y = try x.softmax()
        #expect(y.isFinite)
        expectClose(y.scalars, naiveSoftmax(x, axis: 1), tolerance: 1e-5)
        let logY = try x.logSoftmax()
        #expect(logY.isFinite)
        expectClose(logY.scalars, naiveSoftmax(x, axis: 1, logarithmic: true), tolerance: 1e-4)
    }

    @Test("softmax and logSoftmax gradients on axis −1 and axis 1 of a 3-D tensor",
          arguments: [-1, 1], [false, true])
    func gradient(axis: Int, logarithmic: Bool) throws {
        let x = Make.normal([2, 3, 4], seed: 141)
        try GradientCheck().check([x]) { logarithmic ? try $0[0].logSoftmax(axis: axis) : try $0[0].softmax(axis: axis) }
    }
}

@Suite("Dropout")
struct DropoutTests {
    /// The mask `dropout(rate:)` draws from a generator seeded with `seed`: `1 / (1 − rate)` or 0 per element.
    static func expectedMask(count: Int, rate: Float, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in generator.nextUniform() < 1 - rate ? 1 / (1 - rate) : 0 }
    }

    @Test("dropout with a fixed seed applies the inverted mask and its gradient equals the mask")
    func maskAndGradient() throws {
        let x = Make.awayFromZero([4, 25], seed: 150)
        var generator = SeededGenerator(seed: 7)
        let y = try x.dropout(rate: 0.3, generator: &generator)
        let mask = Self.expectedMask(count: 100, rate: 0.3, seed: 7)
        expectClose(y.scalars, zip(x.scalars, mask).map { $0 * $1 }, tolerance: 1e-6)
        let dropped = mask.filter { $0 == 0 }.count
        #expect((15...45).contains(dropped), "about 30 of 100 dropped, got \(dropped)")
        try y.sum().backward()
        expectClose(try #require(x.gradient).scalars, mask, tolerance: 1e-6)
        try GradientCheck().check([x]) { inputs in
            var generator = SeededGenerator(seed: 7)
            return try inputs[0].dropout(rate: 0.3, generator: &generator)
        }
    }

    @Test("The same seed gives the same mask; rate 0 is the identity")
    func reproducible() throws {
        let x = Make.uniform([50], seed: 151)
        var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9)
        #expect(try x.dropout(rate: 0.5, generator: &g1).scalars == x.dropout(rate: 0.5, generator: &g2).scalars)
        var g3 = SeededGenerator(seed: 9)
        #expect(try x.dropout(rate: 0, generator: &g3).scalars == x.scalars)
    }

    @Test("dropout on rank-4 attention probabilities keeps their expected scale (inverted dropout)")
    func attentionProbabilities() throws {
        let scores = Make.normal([4, 4, 16, 16], seed: 152, requiresGradient: false)
        let probabilities = try scores.maskedSoftmax(adding: Tensor(zeros: [4, 1, 1, 16]), scale: 0.5)
        var generator = SeededGenerator(seed: 11)
        let dropped = try probabilities.dropout(rate: 0.1, generator: &generator)
        #expect(dropped.shape == [4, 4, 16, 16])
        let mask = Self.expectedMask(count: probabilities.elementCount, rate: 0.1, seed: 11)
        expectClose(dropped.scalars, zip(probabilities.scalars, mask).map { $0 * $1 }, tolerance: 1e-6)
        // Each of the 256 rows summed to 1 before; kept values are scaled by 1 / 0.9, so the rows still sum to 1 on
        // average (about ±0.5 % over 4096 elements).
        let rows = Double(probabilities.elementCount / 16)
        let meanRowSum = dropped.scalars.reduce(0) { $0 + Double($1) } / rows
        #expect(abs(meanRowSum - 1) < 0.03, "mean row sum \(meanRowSum)")
    }

    @Test("softmax then dropout with a fixed seed passes the finite-difference check")
    func attentionProbabilitiesGradient() throws {
        let scores = Make.normal([2, 2, 3, 4], seed: 153)
        let mask = try Tensor.additivePaddingMask([1, 1, 1, 0, 1, 1, 1, 1], batch: 2, length: 4)
        try GradientCheck().check([scores]) { inputs in
            var generator = SeededGenerator(seed: 12)
            return try inputs[0].maskedSoftmax(adding: mask, scale: 0.5).dropout(rate: 0.25, generator: &generator)
        }
    }

    @Test("dropout rejects rates outside [0, 1)", arguments: [-0.1, 1, 1.5] as [Float])
    func invalidRate(rate: Float) throws {
        var generator = SeededGenerator(seed: 1)
        let error = expectTensorError { try Tensor(zeros: [3]).dropout(rate: rate, generator: &generator) }
        #expect(error?.description.contains("dropout") == true)
    }
}
