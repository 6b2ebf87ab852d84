import Testing
@testable import TuneCore

/// A row-major copy with no native layout and no tape: what every op saw before activations stayed blocked.
private func plainCopy(_ tensor: Tensor, requiresGradient: Bool = false) -> Tensor {
    Make.tensor(tensor.shape, tensor.scalars, requiresGradient: requiresGradient)
}

/// A copy of `tensor` held in `format`, made by oneDNN's own reorder, whatever layout oneDNN would pick on this machine.
private func nativeCopy(_ tensor: Tensor, format: MemoryDescriptor.Format) throws -> Tensor {
    let descriptor = try MemoryDescriptor(tensor.shape.dimensions, format: format)
    let native = NativeStorage(layout: try NativeLayout(descriptor, plain: try .plain(tensor.shape.dimensions)))
    try DNNLContext.shared().reorder(from: native.layout.plain, tensor.rawPointer, to: descriptor, native.storage.rawPointer)
    return Tensor(shape: tensor.shape, native: native)
}

/// A copy of a 4-D tensor held in `nChw{block}c`.
private func blockedCopy(_ tensor: Tensor, block: Int) throws -> Tensor {
    try nativeCopy(tensor, format: .channelBlocked(block))
}

@Suite("Activations in oneDNN's native layouts")
struct NativeLayoutTests {
    /// 24 and 40 channels pad to whole 8- or 16-channel blocks; 32 does not.
    static let channelCounts = [24, 32, 40]

    @Test("a convolution's output stays in the primitive's layout and reads back as the row-major values",
          arguments: channelCounts)
    func convolutionOutputReadsBack(channels: Int) throws {
        let x = Make.uniform([2, 16, 7, 9], seed: 1, requiresGradient: false)
        let w = Make.uniform([channels, 16, 3, 3], -0.3, 0.3, seed: 2, requiresGradient: false)
        let y = try Tensor.conv2d(x, weight: w, padding: .same)
        let reference = try Tensor.conv2d(plainCopy(x), weight: plainCopy(w), padding: .same)
        #expect(y.native != nil, "expected a blocked output for \(channels) channels")
        #expect(!y.hasPlainStorage)
        expectClose(y.scalars, reference.scalars, tolerance: 1e-5, "conv output")
        #expect(y.hasPlainStorage, "reading the values keeps the row-major copy")
    }

    @Test("blocked batch statistics equal the row-major ones, padded channels excluded", arguments: channelCounts)
    func blockedStatistics(channels: Int) throws {
        let x = Make.uniform([3, 16, 5, 6], seed: 3, requiresGradient: false)
        let w = Make.uniform([channels, 16, 1, 1], -0.5, 0.5, seed: 4, requiresGradient: false)
        let y = try Tensor.conv2d(x, weight: w)
        let block = try #require(y.native?.layout.channelBlock)
        #expect(block == 8 || block == 16)
        let (mean, variance) = Tensor.batchStatistics(y)
        let reference = naiveBatchStatistics(plainCopy(y))
        expectClose(mean.scalars, reference.mean, tolerance: 1e-6, "mean")
        expectClose(variance.scalars, reference.variance, tolerance: 1e-6, "variance")
    }

    @Test("blocked batch statistics keep their precision when the mean is far larger than the spread")
    func blockedStatisticsWithLargeMean() throws {
        let x = Make.uniform([4, 8, 6, 6], seed: 26, requiresGradient: false)
        // 1000 + 0.01·x per channel, blocked: a 1×1 convolution with a bias (8 → 24 channels).
        let w = Make.uniform([24, 8, 1, 1], -0.01, 0.01, seed: 27, requiresGradient: false)
        let y = try Tensor.conv2d(x, weight: w, bias: Tensor(repeating: 1000, shape: [24]))
        #expect(y.native?.layout.channelBlock != nil)
        let (mean, variance) = Tensor.batchStatistics(y)
        let reference = naiveBatchStatistics(plainCopy(y))
        expectClose(mean.scalars, reference.mean, tolerance: 1e-7, "mean")
        for (a, e) in zip(variance.scalars, reference.variance) { #expect(abs(a - e) <= 1e-3 * e, "variance \(a) vs \(e)") }
    }

    @Test("conv → BN (batch statistics) → ReLU6 → conv + residual: the blocked chain gives the row-major chain's values and gradients",
          arguments: channelCounts)
    func chainMatchesRowMajor(channels: Int) throws {
        let input = Make.uniform([2, channels, 6, 5], seed: 5, requiresGradient: false)
        let expand = Make.uniform([channels * 2, channels, 1, 1], -0.4, 0.4, seed: 6)
        let depthwise = Make.uniform([channels * 2, 1, 3, 3], -0.4, 0.4, seed: 7)
        let project = Make.uniform([channels, channels * 2, 1, 1], -0.4, 0.4, seed: 8)
        let scale = Make.uniform([channels * 2], 0.5, 1.5, seed: 9), shift = Make.uniform([channels * 2], seed: 10)

        func run(rowMajor: Bool) throws -> (output: [Float], gradients: [[Float]]) {
            let parameters = [expand, depthwise, project, scale, shift].map { plainCopy($0, requiresGradient: true) }
            // A reshape to the same shape is a recorded row-major view: the tape stays intact, the layout does not.
            let step = { (t: Tensor) in rowMajor ? try t.reshaped(to: t.shape) : t }
            var x = try Tensor.conv2d(input, weight: parameters[0])
            x = try Tensor.batchNormTraining(step(x), scale: parameters[3], shift: parameters[4], epsilon: 1e-3).output
            x = try step(x).relu6()
            x = try Tensor.conv2d(step(x), weight: parameters[1], padding: .same, groups: channels * 2)
            x = try Tensor.conv2d(step(x).relu6(), weight: parameters[2])
            let output = try step(x) + input
            try output.squared().sum().backward()
            return (output.scalars, try parameters.map { try #require($0.gradient).scalars })
        }
        let blocked = try run(rowMajor: false), rowMajor = try run(rowMajor: true)
        expectClose(blocked.output, rowMajor.output, tolerance: 1e-5, "output")
        for (index, (a, b)) in zip(blocked.gradients, rowMajor.gradients).enumerated() {
            expectClose(a, b, tolerance: 1e-4, "gradient of parameter \(index)")
        }
    }

    @Test("adding two tensors in the same blocked layout stays blocked and keeps the padding zero")
    func addInSharedLayout() throws {
        let x = Make.uniform([2, 8, 4, 4], seed: 11, requiresGradient: false)
        let a = try Tensor.conv2d(x, weight: Make.uniform([24, 8, 1, 1], seed: 12, requiresGradient: false))
        let b = try Tensor.conv2d(x, weight: Make.uniform([24, 8, 1, 1], seed: 13, requiresGradient: false))
        let sum = try a + b
        #expect(sum.native != nil)
        let expected = zip(plainCopy(a).scalars, plainCopy(b).scalars).map { $0 + $1 }
        expectClose(sum.scalars, expected, tolerance: 1e-6, "sum")
        // The padded channels 24..<32 must still be zero: a convolution over the sum sees only real channels.
        let next = try Tensor.conv2d(sum, weight: Make.uniform([16, 24, 1, 1], seed: 14, requiresGradient: false))
        let reference = try Tensor.conv2d(plainCopy(sum), weight: Make.uniform([16, 24, 1, 1], seed: 14, requiresGradient: false))
        expectClose(next.scalars, reference.scalars, tolerance: 1e-5, "conv of the sum")
    }

    @Test("writing a tensor's elements drops its blocked copy, so the next op reads the new values")
    func mutationDropsNativeCopy() throws {
        let x = Make.uniform([1, 8, 3, 3], seed: 15, requiresGradient: false)
        let y = try Tensor.conv2d(x, weight: Make.uniform([16, 8, 1, 1], seed: 16, requiresGradient: false))
        #expect(y.native != nil)
        y.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = 1 }
        }
        #expect(y.native == nil)
        let z = try y.relu6()
        #expect(z.scalars.allSatisfy { $0 == 1 })
    }

    @Test("a convolution with batch norm folded in matches conv → batch norm → activation",
          arguments: [(groups: 1, bias: false, activation: Tensor.Activation.relu6),
                      (groups: 1, bias: true, activation: nil),
                      (groups: 24, bias: false, activation: .relu6)])
    func foldedBatchNorm(groups: Int, bias: Bool, activation: Tensor.Activation?) throws {
        let x = Make.uniform([2, 24, 8, 7], 0, 2, seed: 17, requiresGradient: false)
        let weight = Make.uniform([24, 24 / groups, 3, 3], -0.5, 0.5, seed: 18, requiresGradient: false)
        let b = bias ? Make.uniform([24], seed: 19, requiresGradient: false) : nil
        let scale = Make.uniform([24], 0.5, 1.5, seed: 20, requiresGradient: false)
        let shift = Make.uniform([24], seed: 21, requiresGradient: false)
        let mean = Make.uniform([24], seed: 22, requiresGradient: false)
        let variance = Make.uniform([24], 0.1, 2, seed: 23, requiresGradient: false)
        let folded = try Tensor.conv2dBatchNormInference(x, weight: weight, bias: b, stride: (2, 2), padding: .same,
                                                         groups: groups, scale: scale, shift: shift, mean: mean,
                                                         variance: variance, epsilon: 1e-3, activation: activation)
        var reference = try Tensor.batchNormInference(
            Tensor.conv2d(x, weight: weight, bias: b, stride: (2, 2), padding: .same, groups: groups),
            scale: scale, shift: shift, mean: mean, variance: variance, epsilon: 1e-3)
        if let activation { reference = try reference.activated(activation) }
        #expect(folded.shape == reference.shape)
        expectClose(folded.scalars, reference.scalars, tolerance: 1e-5, "folded")
        if activation == .relu6 {
            #expect(folded.scalars.allSatisfy { (0...6).contains($0) } && folded.scalars.contains(0))
        }
    }

    @Test("folding rejects per-channel tensors of the wrong size")
    func foldedBatchNormShapes() {
        let x = Make.uniform([1, 4, 3, 3], seed: 24, requiresGradient: false)
        let weight = Make.uniform([8, 4, 1, 1], seed: 25, requiresGradient: false)
        let four = Tensor(repeating: 1, shape: [4]), eight = Tensor(repeating: 1, shape: [8])
        #expect(throws: TensorError.self) {
            try Tensor.conv2dBatchNormInference(x, weight: weight, scale: four, shift: eight, mean: eight, variance: eight,
                                                epsilon: 1e-3)
        }
    }

    @Test("the blocked depthwise weight gradient equals the row-major one",
          arguments: [(channels: 24, size: 12, kernel: 5, stride: 1, dilation: 1),
                      (channels: 40, size: 9, kernel: 5, stride: 2, dilation: 1),
                      (channels: 16, size: 2, kernel: 5, stride: 1, dilation: 1),
                      (channels: 32, size: 4, kernel: 3, stride: 2, dilation: 1),
                      (channels: 24, size: 11, kernel: 3, stride: 1, dilation: 2)])
    func blockedDepthwiseWeightGradient(channels: Int, size: Int, kernel: Int, stride: Int, dilation: Int) throws {
        let input = Make.uniform([3, 8, size, size + 1], seed: 30, requiresGradient: false)
        let expand = Make.uniform([channels, 8, 1, 1], -0.5, 0.5, seed: 31, requiresGradient: false)
        let project = Make.uniform([16, channels, 1, 1], -0.5, 0.5, seed: 32, requiresGradient: false)
        func gradient(rowMajor: Bool) throws -> [Float] {
            let depthwise = Make.uniform([channels, 1, kernel, kernel], -0.5, 0.5, seed: 33)
            let step = { (t: Tensor) in rowMajor ? try t.reshaped(to: t.shape) : t }
            let expanded = try step(Tensor.conv2d(input, weight: expand))
            if !rowMajor { #expect(expanded.native?.layout.channelBlock != nil) }
            let filtered = try Tensor.conv2d(expanded, weight: depthwise, stride: (stride, stride), padding: .same,
                                             dilation: (dilation, dilation), groups: channels)
            try Tensor.conv2d(step(filtered), weight: project).squared().sum().backward()
            return try #require(depthwise.gradient).scalars
        }
        expectClose(try gradient(rowMajor: false), try gradient(rowMajor: true), tolerance: 1e-4, "depthwise weight gradient")
    }

    @Test("8- and 16-channel blocks give the row-major statistics and depthwise weight gradients", arguments: [8, 16])
    func bothBlockSizes(block: Int) throws {
        let x = Make.uniform([3, 20, 9, 7], seed: 40, requiresGradient: false)
        let blocked = try blockedCopy(x, block: block)
        #expect(blocked.native?.layout.channelBlock == block && !blocked.hasPlainStorage)
        let (mean, variance) = Tensor.batchStatistics(blocked)
        let reference = naiveBatchStatistics(x)
        expectClose(mean.scalars, reference.mean, tolerance: 1e-6, "mean")
        expectClose(variance.scalars, reference.variance, tolerance: 1e-6, "variance")

        let geometry = try WindowGeometry(op: "test", height: 9, width: 7, kernel: (5, 5), stride: (2, 2),
                                          dilation: (1, 1), padding: .same)
        let gradient = Make.uniform([3, 20, geometry.output[0], geometry.output[1]], seed: 41, requiresGradient: false)
        let fromBlocked = DepthwiseWeightGradient.compute(input: blocked, outputGradient: try blockedCopy(gradient, block: block),
                                                          weightShape: [20, 1, 5, 5], geometry: geometry)
        let fromRowMajor = DepthwiseWeightGradient.compute(input: x, outputGradient: gradient, weightShape: [20, 1, 5, 5],
                                                           geometry: geometry)
        expectClose(fromBlocked.scalars, fromRowMajor.scalars, tolerance: 1e-5, "depthwise weight gradient")
    }

    @Test("reading a native tensor converts it to exactly the row-major values, padded channels or not",
          arguments: [(shape: [3, 20, 9, 7], format: MemoryDescriptor.Format.channelBlocked(8)),
                      (shape: [3, 20, 9, 7], format: .channelBlocked(16)),
                      (shape: [2, 32, 5, 1], format: .channelBlocked(16)),
                      (shape: [2, 24, 6, 5], format: .channelBlocked(16)),
                      (shape: [2, 12, 6, 5], format: .channelBlocked(8)),
                      (shape: [1, 3, 1, 1], format: .channelBlocked(16)),
                      (shape: [2, 5, 4, 3], format: .channelsLast),
                      (shape: [4, 64, 40, 40], format: .channelBlocked(16))])
    func readsBackExactly(shape: [Int], format: MemoryDescriptor.Format) throws {
        let x = Make.uniform(Shape(shape), seed: 42, requiresGradient: false)
        let native = try nativeCopy(x, format: format)
        #expect(!native.hasPlainStorage)
        #expect(native.scalars == x.scalars)
        #expect(native.hasPlainStorage && native.native != nil, "the read keeps both copies")
    }

    @Test("a layout that is not blocked, or whose dims differ, is refused when it is made, not when it is read")
    func refusesUnconvertibleLayouts() throws {
        let plain = try MemoryDescriptor.plain([1, 16, 2, 2])
        #expect(throws: TensorError.self) { try NativeLayout(try .any([1, 16, 2, 2]), plain: plain) }
        #expect(throws: TensorError.self) { try NativeLayout(try MemoryDescriptor([1, 16, 2, 3], format: .channelBlocked(16)), plain: plain) }
    }
}
