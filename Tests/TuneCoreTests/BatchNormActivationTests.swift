import Testing
@testable import TuneCore

@Suite("Batch norm fused with an activation")
struct BatchNormActivationTests {
    static let smooth: [Tensor.Activation] = [.sigmoid, .tanh]

    @Test("finite-difference gradients through batch statistics and a smooth activation", arguments: smooth)
    func trainingGradient(activation: Tensor.Activation) throws {
        let x = Make.normal([4, 3, 2, 2], seed: 140)
        let scale = Make.uniform([3], 0.5, 1.5, seed: 141), shift = Make.uniform([3], seed: 142)
        try GradientCheck().check([x, scale, shift]) {
            try Tensor.batchNormTraining($0[0], scale: $0[1], shift: $0[2], epsilon: 1e-3, activation: activation).output
        }
    }

    @Test("finite-difference gradients with fixed statistics and a smooth activation", arguments: smooth)
    func inferenceGradient(activation: Tensor.Activation) throws {
        let x = Make.normal([3, 2, 3, 2], seed: 143)
        let scale = Make.uniform([2], 0.5, 1.5, seed: 144), shift = Make.uniform([2], seed: 145)
        let mean = Make.uniform([2], seed: 146, requiresGradient: false)
        let variance = Make.uniform([2], 0.5, 2, seed: 147, requiresGradient: false)
        try GradientCheck().check([x, scale, shift]) {
            try Tensor.batchNormInference($0[0], scale: $0[1], shift: $0[2], mean: mean, variance: variance, epsilon: 1e-3,
                                          activation: activation)
        }
    }

    @Test("fused and separate ops give the same values and gradients, row-major and blocked",
          arguments: Tensor.Activation.allCases, [false, true])
    func fusedMatchesSeparate(activation: Tensor.Activation, blocked: Bool) throws {
        let source = Make.uniform([3, 8, 5, 4], seed: 148, requiresGradient: false)
        let expand = Make.uniform([24, 8, 1, 1], -1, 1, seed: 149, requiresGradient: false)
        let probe = Make.uniform([3, 24, 5, 4], seed: 150, requiresGradient: false)
        for training in [true, false] {
            func run(fused: Bool) throws -> [[Float]] {
                let scale = Make.uniform([24], 0.5, 3, seed: 151), shift = Make.uniform([24], -1, 4, seed: 152)
                let mean = Make.uniform([24], seed: 153, requiresGradient: false)
                let variance = Make.uniform([24], 0.5, 2, seed: 154, requiresGradient: false)
                var x = try Tensor.conv2d(source, weight: expand)
                if !blocked { x = try x.reshaped(to: x.shape) }
                x.requiresGradient = true
                let fusedActivation = fused ? activation : nil
                var y = training
                    ? try Tensor.batchNormTraining(x, scale: scale, shift: shift, epsilon: 1e-3, activation: fusedActivation).output
                    : try Tensor.batchNormInference(x, scale: scale, shift: shift, mean: mean, variance: variance,
                                                    epsilon: 1e-3, activation: fusedActivation)
                if !fused { y = try y.activated(activation) }
                try (y * probe).sum().backward()
                return [y.scalars] + (try [x, scale, shift].map { try #require($0.gradient).scalars })
            }
            let (fused, separate) = (try run(fused: true), try run(fused: false))
            for (index, name) in ["output", "x gradient", "scale gradient", "shift gradient"].enumerated() {
                expectClose(fused[index], separate[index], tolerance: 1e-5, "\(activation) training \(training): \(name)")
            }
        }
    }
}
