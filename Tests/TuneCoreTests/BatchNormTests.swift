import Testing
@testable import TuneCore

/// Plain-loop batch statistics per channel of `[N, C, …]`: the mean and the biased (÷ count) variance.
func naiveBatchStatistics(_ x: Tensor) -> (mean: [Float], variance: [Float]) {
    let n = x.shape[0], c = x.shape[1], spatial = x.elementCount / max(n * c, 1)
    let p = x.scalars
    var means: [Float] = [], variances: [Float] = []
    for channel in 0..<c {
        var values: [Double] = []
        for b in 0..<n { for s in 0..<spatial { values.append(Double(p[(b * c + channel) * spatial + s])) } }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        means.append(Float(mean))
        variances.append(Float(variance))
    }
    return (means, variances)
}

/// Plain-loop normalization `(x − mean) / √(variance + ε) · scale + shift` per channel.
func naiveBatchNorm(_ x: Tensor, scale: [Float], shift: [Float], mean: [Float], variance: [Float], epsilon: Float) -> [Float] {
    let c = x.shape[1], spatial = x.elementCount / max(x.shape[0] * c, 1)
    return x.scalars.enumerated().map { index, value in
        let channel = (index / spatial) % c
        return (value - mean[channel]) / (variance[channel] + epsilon).squareRoot() * scale[channel] + shift[channel]
    }
}

@Suite("Batch normalization")
struct BatchNormTests {
    static let shapes: [Shape] = [[4, 3, 2, 2], [6, 3], [2, 2, 3, 3]]

    @Test("Training mode normalizes with the batch mean and returns the biased variance", arguments: shapes)
    func trainingForward(shape: Shape) throws {
        let x = Make.normal(shape, seed: 110).affine(scale: 2, offset: 0.5)
        let scale = Make.uniform([shape[1]], 0.5, 1.5, seed: 111), shift = Make.uniform([shape[1]], seed: 112)
        let (y, mean, variance) = try Tensor.batchNormTraining(x, scale: scale, shift: shift, epsilon: 1e-3)
        let reference = naiveBatchStatistics(x)
        #expect(y.shape == shape && mean.shape == [shape[1]] && variance.shape == [shape[1]])
        expectClose(mean.scalars, reference.mean, tolerance: 1e-5, "mean")
        expectClose(variance.scalars, reference.variance, tolerance: 1e-4, "biased variance")
        expectClose(y.scalars, naiveBatchNorm(x, scale: scale.scalars, shift: shift.scalars, mean: reference.mean,
                                              variance: reference.variance, epsilon: 1e-3), tolerance: 1e-4, "output")
        #expect(!mean.requiresGradient && !variance.requiresGradient)
    }

    @Test("Inference mode normalizes with the given statistics and leaves them untouched", arguments: shapes)
    func inferenceForward(shape: Shape) throws {
        let c = shape[1]
        let x = Make.normal(shape, seed: 113)
        let scale = Make.uniform([c], 0.5, 1.5, seed: 114), shift = Make.uniform([c], seed: 115)
        let mean = Make.uniform([c], seed: 116, requiresGradient: false)
        let variance = Make.uniform([c], 0.5, 2, seed: 117, requiresGradient: false)
        let (savedMean, savedVariance) = (mean.scalars, variance.scalars)
        let y = try Tensor.batchNormInference(x, scale: scale, shift: shift, mean: mean, variance: variance, epsilon: 1e-5)
        expectClose(y.scalars, naiveBatchNorm(x, scale: scale.scalars, shift: shift.scalars, mean: mean.scalars,
                                              variance: variance.scalars, epsilon: 1e-5), tolerance: 1e-5)
        #expect(mean.scalars == savedMean && variance.scalars == savedVariance)
    }

    @Test("Training-mode gradients for x, scale and shift", arguments: shapes)
    func trainingGradient(shape: Shape) throws {
        let c = shape[1]
        let x = Make.normal(shape, seed: 118)
        let scale = Make.uniform([c], 0.5, 1.5, seed: 119), shift = Make.uniform([c], seed: 120)
        try GradientCheck().check([x, scale, shift]) {
            try Tensor.batchNormTraining($0[0], scale: $0[1], shift: $0[2], epsilon: 1e-3).output
        }
    }

    @Test("Inference-mode gradients for x, scale and shift", arguments: shapes)
    func inferenceGradient(shape: Shape) throws {
        let c = shape[1]
        let x = Make.normal(shape, seed: 121)
        let scale = Make.uniform([c], 0.5, 1.5, seed: 122), shift = Make.uniform([c], seed: 123)
        let mean = Make.uniform([c], seed: 124, requiresGradient: false)
        let variance = Make.uniform([c], 0.5, 2, seed: 125, requiresGradient: false)
        try GradientCheck().check([x, scale, shift]) {
            try Tensor.batchNormInference($0[0], scale: $0[1], shift: $0[2], mean: mean, variance: variance, epsilon: 1e-3)
        }
    }

    @Test("A training step then an inference step of the same shape use their own primitives")
    func trainingThenInference() throws {
        let x = Make.normal([4, 2, 3, 3], seed: 126)
        let scale = Tensor(repeating: 1, shape: [2]), shift = Tensor(zeros: [2])
        let (_, mean, variance) = try Tensor.batchNormTraining(x, scale: scale, shift: shift, epsilon: 1e-3)
        let y = try Tensor.batchNormInference(x, scale: scale, shift: shift, mean: mean, variance: variance, epsilon: 1e-3)
        let statistics = naiveBatchStatistics(x)
        expectClose(y.scalars, naiveBatchNorm(x, scale: [1, 1], shift: [0, 0], mean: statistics.mean,
                                              variance: statistics.variance, epsilon: 1e-3), tolerance: 1e-4)
    }
}
