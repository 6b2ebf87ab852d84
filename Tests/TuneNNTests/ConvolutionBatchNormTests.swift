import Testing
import TuneCore
@testable import TuneNN

@Suite("Convolution → BatchNorm → activation through the layers")
struct ConvolutionBatchNormTests {
    private static func layers(depthwise: Bool) -> (Layer, BatchNorm, (Tensor, BatchNorm, ForwardContext) throws -> Tensor) {
        let norm = BatchNorm(channels: 16, epsilon: 1e-3, momentum: 0.1)
        norm.runningMean?.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = Float(i) * 0.05 - 0.3 } }
        norm.runningVariance?.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = 0.5 + Float(i) * 0.1 } }
        norm.weight?.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = 1.5 - Float(i) * 0.05 } }
        if depthwise {
            let conv = DepthwiseConv2D(kernelSize: 5, inChannels: 16, stride: 2, padding: .same, useBias: false)
            return (conv, norm, { try conv($0, normalizedBy: $1, activation: .relu6, context: $2) })
        }
        let conv = Conv2D(16, kernelSize: 1, inChannels: 8, padding: .same, useBias: false)
        return (conv, norm, { try conv($0, normalizedBy: $1, activation: .relu6, context: $2) })
    }

    @Test("in inference the folded convolution gives the three layers' values", arguments: [false, true])
    func inferenceMatches(depthwise: Bool) throws {
        let (conv, norm, fused) = Self.layers(depthwise: depthwise)
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.uniform([2, depthwise ? 16 : 8, 9, 9], low: -2, high: 2, generator: &generator)
        let folded = try fused(x, norm, .inference)
        let reference = try norm(conv(x, context: .inference), context: .inference).relu6()
        expectClose(folded.scalars, reference.scalars, tolerance: 1e-5)
    }

    @Test("in training the batch norm uses batch statistics, updates its running ones and passes gradients")
    func trainingIsNotFolded() throws {
        let (conv, norm, fused) = Self.layers(depthwise: false)
        var generator = SeededGenerator(seed: 4)
        let x = Tensor.uniform([4, 8, 5, 5], low: -2, high: 2, generator: &generator)
        let before = try #require(norm.runningMean).scalars
        let output = try fused(x, norm, ForwardContext(isTraining: true))
        #expect(try #require(norm.runningMean).scalars != before, "running mean updated")
        try output.sum().backward()
        let weight = try #require((conv as? Conv2D)?.weight)
        #expect(weight.gradient != nil && norm.weight?.gradient != nil)
    }

    @Test("a frozen batch norm under a trainable convolution is not folded, so the convolution still gets a gradient")
    func trainableConvolutionIsNotFolded() throws {
        let (conv, norm, fused) = Self.layers(depthwise: false)
        norm.isTrainable = false
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.uniform([2, 8, 4, 4], low: -2, high: 2, generator: &generator)
        let output = try fused(x, norm, ForwardContext(isTraining: true))
        let reference = try norm(conv(x, context: .inference), context: .inference).relu6()
        expectClose(output.scalars, reference.scalars, tolerance: 1e-5)
        try output.sum().backward()
        #expect(try #require((conv as? Conv2D)?.weight).gradient != nil)
    }
}
