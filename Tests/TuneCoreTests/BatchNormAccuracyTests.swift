import Foundation
import Testing
@testable import TuneCore

/// Training-mode batch norm against a float64 reference computed from the same float32 inputs, on channels with
/// many values (2 × 112² = 25 088, an early EfficientNet layer) and means large against their spread — where a
/// Float sum loses digits. The batch statistics are FineTune's own Double two-pass reductions and must be exact to
/// float32 rounding (oneDNN 2.6's Float statistics were 8e-7 off here, which compounded to a 1.45e-4 gradient error
/// in a Lite0 training step). Normalization and backward run on oneDNN in float32, so their bounds are float32's:
/// inputs near 1000 carry an ulp of 6e-5, which bounds the output, and its Float sums over 25 088 products bound
/// the scale/shift gradients.
@Suite("Batch-norm accuracy against float64")
struct BatchNormAccuracyTests {
    static let shape: Shape = [2, 4, 112, 112]
    /// Per-channel (offset, spread): zero mean, mean ≈ spread, mean 100× and 1000× the spread.
    static let channels: [(offset: Double, spread: Double)] = [(0, 1), (2.3, 2.3), (-50, 0.5), (1000, 1)]

    /// Deterministic inputs: `offset + spread · (a smooth pattern + noise)`.
    static func input() -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func noise() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        let n = shape[0], c = shape[1], spatial = shape[2] * shape[3]
        var values = [Float](repeating: 0, count: shape.elementCount)
        for b in 0..<n {
            for channel in 0..<c {
                let (offset, spread) = channels[channel]
                for s in 0..<spatial {
                    let pattern = sin(0.013 * Double(s) + Double(b)) + 0.7 * noise()
                    values[(b * c + channel) * spatial + s] = Float(offset + spread * pattern)
                }
            }
        }
        return values
    }

    /// Float64 statistics of channel `channel` of `x` (`[N, C, H, W]`, row-major).
    static func statistics(_ x: [Float], channel: Int) -> (mean: Double, variance: Double) {
        let n = shape[0], c = shape[1], spatial = shape[2] * shape[3]
        var sum = 0.0
        for b in 0..<n { for s in 0..<spatial { sum += Double(x[(b * c + channel) * spatial + s]) } }
        let mean = sum / Double(n * spatial)
        var squares = 0.0
        for b in 0..<n { for s in 0..<spatial { let d = Double(x[(b * c + channel) * spatial + s]) - mean; squares += d * d } }
        return (mean, squares / Double(n * spatial))
    }

    @Test("Batch mean, variance, output and all three gradients match float64 on large-mean channels")
    func trainingMatchesFloat64() throws {
        let values = Self.input()
        let (n, c, spatial) = (Self.shape[0], Self.shape[1], Self.shape[2] * Self.shape[3])
        let x = try Tensor(shape: Self.shape, scalars: values, requiresGradient: true)
        let scaleValues: [Float] = [1.5, 0.7, 2.0, 1.1], shiftValues: [Float] = [0.1, -0.2, 0.3, 0.0]
        let scale = try Tensor(shape: [c], scalars: scaleValues, requiresGradient: true)
        let shift = try Tensor(shape: [c], scalars: shiftValues, requiresGradient: true)
        let epsilon: Float = 1e-3
        let (y, mean, variance) = try Tensor.batchNormTraining(x, scale: scale, shift: shift, epsilon: epsilon)
        // An upstream gradient with a mean of its own, so the mean-subtraction terms of the backward matter.
        let seedValues = values.indices.map { Float(0.4 + sin(0.0071 * Double($0))) }
        try y.backward(seed: try Tensor(shape: Self.shape, scalars: seedValues))
        let (ys, gx) = (y.scalars, try #require(x.gradient).scalars)
        let (gScale, gShift) = (try #require(scale.gradient).scalars, try #require(shift.gradient).scalars)

        var worstStatistic = 0.0, worstOutput = 0.0, worstParameterGradient = 0.0, worstInputGradient = 0.0
        for channel in 0..<c {
            let (m, v) = Self.statistics(values, channel: channel)
            let deviation = (v + Double(epsilon)).squareRoot()
            // The mean relative to the spread (what the normalization subtracts it from), the variance relative.
            worstStatistic = max(worstStatistic, abs(Double(mean.scalars[channel]) - m) / max(abs(m), v.squareRoot()),
                                 abs(Double(variance.scalars[channel]) - v) / v)
            var sumDy = 0.0, sumDyXhat = 0.0
            for b in 0..<n {
                for s in 0..<spatial {
                    let i = (b * c + channel) * spatial + s
                    let xhat = (Double(values[i]) - m) / deviation
                    let expected = xhat * Double(scaleValues[channel]) + Double(shiftValues[channel])
                    worstOutput = max(worstOutput, abs(Double(ys[i]) - expected))
                    sumDy += Double(seedValues[i])
                    sumDyXhat += Double(seedValues[i]) * xhat
                }
            }
            worstParameterGradient = max(worstParameterGradient, abs(Double(gShift[channel]) - sumDy) / abs(sumDy),
                                         abs(Double(gScale[channel]) - sumDyXhat) / abs(sumDyXhat))
            let count = Double(n * spatial), gain = Double(scaleValues[channel]) / deviation
            for b in 0..<n {
                for s in 0..<spatial {
                    let i = (b * c + channel) * spatial + s
                    let xhat = (Double(values[i]) - m) / deviation
                    let expected = gain * (Double(seedValues[i]) - sumDy / count - xhat * sumDyXhat / count)
                    // Relative to the gradient's scale for the channel (gain · |dy|), not to a value near zero.
                    worstInputGradient = max(worstInputGradient, abs(Double(gx[i]) - expected) / gain)
                }
            }
        }
        print("batch norm vs float64: statistics \(worstStatistic), output \(worstOutput), "
              + "scale/shift gradients \(worstParameterGradient), input gradient \(worstInputGradient)")
        // Float rounding of the statistics is 6e-8 relative; a Float accumulation over 25 088 values is 1e-6 or worse.
        #expect(worstStatistic <= 1e-7, "batch mean / variance")
        #expect(worstOutput <= 5e-5, "normalized output (values up to ~4; inputs near 1000 have an ulp of 6e-5)")
        #expect(worstParameterGradient <= 5e-3, "scale and shift gradients (Float sums of 25 088 products)")
        #expect(worstInputGradient <= 5e-5, "input gradient")
    }
}
