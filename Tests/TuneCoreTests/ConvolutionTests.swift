import Foundation
import Synchronization
import Testing
@testable import TuneCore

/// TensorFlow "SAME" padding for one spatial axis, written out independently of `Padding`:
/// output = ceil(size / stride); the odd extra row/column goes after.
func tfSamePadding(size: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (before: Int, after: Int) {
    let effective = (kernel - 1) * dilation + 1
    let output = (size + stride - 1) / stride
    let total = Swift.max((output - 1) * stride + effective - size, 0)
    return (total / 2, total - total / 2)
}

/// A plain-loop 2-D convolution (NCHW input, OIHW weight, grouped), zero padding `(top, bottom, left, right)`.
func naiveConv2d(_ x: Tensor, _ w: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                 pads: (top: Int, bottom: Int, left: Int, right: Int), dilation: (Int, Int) = (1, 1),
                 groups: Int = 1) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let oh = (h + pads.top + pads.bottom - ((kh - 1) * dilation.0 + 1)) / stride.0 + 1
    let ow = (wd + pads.left + pads.right - ((kw - 1) * dilation.1 + 1)) / stride.1 + 1
    let px = x.scalars, pw = w.scalars, pb = bias?.scalars
    let outPerGroup = o / groups
    var out = [Float](repeating: 0, count: n * o * oh * ow)
    for b in 0..<n { for oc in 0..<o {
        let group = oc / outPerGroup
        for i in 0..<oh { for j in 0..<ow {
            var s: Float = pb?[oc] ?? 0
            for ic in 0..<cg { for u in 0..<kh { for v in 0..<kw {
                let y = i * stride.0 - pads.top + u * dilation.0
                let z = j * stride.1 - pads.left + v * dilation.1
                guard y >= 0, y < h, z >= 0, z < wd else { continue }
                let channel = group * cg + ic
                s += px[((b * c + channel) * h + y) * wd + z] * pw[((oc * cg + ic) * kh + u) * kw + v]
            } } }
            out[((b * o + oc) * oh + i) * ow + j] = s
        } }
    } }
    return Make.tensor([n, o, oh, ow], out)
}

@Suite("Convolution")
struct ConvolutionTests {
    @Test("TF SAME padding puts the odd pixel after: 8×8, kernel 3, stride 2 pads 0 before and 1 after")
    func samePaddingAmounts() {
        let even = Padding.same.amounts(height: 8, width: 8, kernel: (3, 3), stride: (2, 2))
        #expect(even == (top: 0, bottom: 1, left: 0, right: 1))
        let odd = Padding.same.amounts(height: 7, width: 7, kernel: (3, 3), stride: (2, 2))
        #expect(odd == (top: 1, bottom: 1, left: 1, right: 1))
        let rectangular = Padding.same.amounts(height: 6, width: 5, kernel: (4, 1), stride: (1, 1))
        #expect(rectangular == (top: 1, bottom: 2, left: 0, right: 0))
        let dilated = Padding.same.amounts(height: 9, width: 9, kernel: (3, 3), stride: (1, 1), dilation: (2, 2))
        #expect(dilated == (top: 2, bottom: 2, left: 2, right: 2))
        #expect(Padding.valid.amounts(height: 9, width: 9, kernel: (3, 3), stride: (1, 1)) == (0, 0, 0, 0))
        #expect(Padding.symmetric(2).amounts(height: 9, width: 9, kernel: (3, 3), stride: (1, 1)) == (2, 2, 2, 2))
        #expect(tfSamePadding(size: 8, kernel: 3, stride: 2) == (0, 1))
    }

    @Test("conv2d with TF SAME on an even 8×8 input and stride 2 matches the naive loop")
    func sameEvenStride2() throws {
        let x = Make.normal([2, 3, 8, 8], seed: 60), w = Make.normal([4, 3, 3, 3], seed: 61)
        let y = try Tensor.conv2d(x, weight: w, stride: (2, 2), padding: .same)
        #expect(y.shape == [2, 4, 4, 4])
        expectClose(y, naiveConv2d(x, w, stride: (2, 2), pads: (0, 1, 0, 1)))
    }

    @Test("conv2d with TF SAME on an odd 7×7 input and stride 2 matches the naive loop")
    func sameOddStride2() throws {
        let x = Make.normal([1, 3, 7, 7], seed: 62), w = Make.normal([2, 3, 3, 3], seed: 63)
        let y = try Tensor.conv2d(x, weight: w, stride: (2, 2), padding: .same)
        #expect(y.shape == [1, 2, 4, 4])
        expectClose(y, naiveConv2d(x, w, stride: (2, 2), pads: (1, 1, 1, 1)))
    }

    @Test("conv2d with TF SAME and an even kernel on a rectangular input matches the naive loop")
    func sameEvenKernel() throws {
        let x = Make.normal([1, 2, 8, 6], seed: 64), w = Make.normal([3, 2, 4, 2], seed: 65)
        let y = try Tensor.conv2d(x, weight: w, padding: .same)
        #expect(y.shape == [1, 3, 8, 6])
        let (top, bottom) = tfSamePadding(size: 8, kernel: 4, stride: 1)
        let (left, right) = tfSamePadding(size: 6, kernel: 2, stride: 1)
        #expect((top, bottom, left, right) == (1, 2, 0, 1))
        expectClose(y, naiveConv2d(x, w, pads: (top, bottom, left, right)))
    }

    @Test("grouped conv2d matches the naive loop (2 groups and depthwise)")
    func grouped() throws {
        let x = Make.normal([2, 4, 5, 5], seed: 66), w = Make.normal([6, 2, 3, 3], seed: 67)
        let y = try Tensor.conv2d(x, weight: w, padding: .same, groups: 2)
        expectClose(y, naiveConv2d(x, w, pads: (1, 1, 1, 1), groups: 2))

        let dx = Make.normal([1, 4, 6, 6], seed: 68), dw = Make.normal([4, 1, 3, 3], seed: 69)
        let dy = try Tensor.conv2d(dx, weight: dw, stride: (2, 2), padding: .same, groups: 4)
        #expect(dy.shape == [1, 4, 3, 3])
        expectClose(dy, naiveConv2d(dx, dw, stride: (2, 2), pads: (0, 1, 0, 1), groups: 4))
    }

    @Test("dilated conv2d matches the naive loop (valid and SAME)")
    func dilated() throws {
        let x = Make.normal([1, 2, 9, 9], seed: 70), w = Make.normal([3, 2, 3, 3], seed: 71)
        let valid = try Tensor.conv2d(x, weight: w, dilation: (2, 2))
        #expect(valid.shape == [1, 3, 5, 5])
        expectClose(valid, naiveConv2d(x, w, pads: (0, 0, 0, 0), dilation: (2, 2)))
        let same = try Tensor.conv2d(x, weight: w, stride: (2, 2), padding: .same, dilation: (2, 2))
        let (before, after) = tfSamePadding(size: 9, kernel: 3, stride: 2, dilation: 2)
        #expect(same.shape == [1, 3, 5, 5])
        expectClose(same, naiveConv2d(x, w, stride: (2, 2), pads: (before, after, before, after), dilation: (2, 2)))
    }

    @Test("conv2d with explicit asymmetric padding, unequal strides and bias matches the naive loop")
    func explicitWithBias() throws {
        let x = Make.normal([2, 3, 5, 4], seed: 72), w = Make.normal([2, 3, 3, 2], seed: 73)
        let b = Make.normal([2], seed: 74)
        let padding = Padding.explicit(top: 1, bottom: 0, left: 2, right: 1)
        let y = try Tensor.conv2d(x, weight: w, bias: b, stride: (2, 1), padding: padding)
        #expect(y.shape == [2, 2, 2, 6])
        expectClose(y, naiveConv2d(x, w, bias: b, stride: (2, 1), pads: (1, 0, 2, 1)))
    }

    @Test("conv2d with many channels (blocked oneDNN layouts, reordered) matches the naive loop")
    func manyChannels() throws {
        let x = Make.normal([2, 16, 6, 6], seed: 91), w = Make.normal([32, 16, 3, 3], seed: 92), b = Make.normal([32], seed: 93)
        let y = try Tensor.conv2d(x, weight: w, bias: b, stride: (2, 2), padding: .same)
        expectClose(y, naiveConv2d(x, w, bias: b, stride: (2, 2), pads: (0, 1, 0, 1)), tolerance: 1e-3)
        let dw = Make.normal([16, 1, 3, 3], seed: 94)
        let depthwise = try Tensor.conv2d(x, weight: dw, padding: .same, groups: 16)
        expectClose(depthwise, naiveConv2d(x, dw, pads: (1, 1, 1, 1), groups: 16), tolerance: 1e-4)
    }

    // MARK: Gradients

    @Test("conv2d gradients with many channels (blocked oneDNN layouts)")
    func gradientManyChannels() throws {
        let x = Make.uniform([2, 16, 5, 5], seed: 95), w = Make.uniform([32, 16, 3, 3], -0.2, 0.2, seed: 96)
        let b = Make.uniform([32], seed: 97)
        try GradientCheck().check([x, w, b]) { try Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 2), padding: .same) }
        let dw = Make.uniform([16, 1, 3, 3], seed: 98)
        try GradientCheck().check([x, dw]) { try Tensor.conv2d($0[0], weight: $0[1], padding: .same, groups: 16) }
    }

    @Test("conv2d gradients with stride 2 and TF SAME asymmetric padding")
    func gradientSameStride2() throws {
        let x = Make.uniform([1, 2, 6, 6], seed: 75), w = Make.uniform([3, 2, 3, 3], seed: 76)
        #expect(Padding.same.amounts(height: 6, width: 6, kernel: (3, 3), stride: (2, 2)) == (0, 1, 0, 1))
        try GradientCheck().check([x, w]) { try Tensor.conv2d($0[0], weight: $0[1], stride: (2, 2), padding: .same) }
    }

    @Test("conv2d gradients with dilation 2")
    func gradientDilated() throws {
        let x = Make.uniform([1, 2, 7, 7], seed: 77), w = Make.uniform([2, 2, 3, 3], seed: 78)
        try GradientCheck().check([x, w]) { try Tensor.conv2d($0[0], weight: $0[1], dilation: (2, 2)) }
    }

    @Test("conv2d gradients for a depthwise 3×3 on 4 channels")
    func gradientDepthwise() throws {
        let x = Make.uniform([2, 4, 5, 5], seed: 79), w = Make.uniform([4, 1, 3, 3], seed: 80)
        try GradientCheck().check([x, w]) { try Tensor.conv2d($0[0], weight: $0[1], padding: .same, groups: 4) }
    }

    @Test("depthwise weight gradients on small maps (the direct loop): 5×5 on 2×2, 3×3 stride 2 on 4×4, dilated 3×3 on 3×3")
    func gradientDepthwiseSmallMaps() throws {
        let x = Make.uniform([3, 6, 2, 2], seed: 87), w = Make.uniform([6, 1, 5, 5], seed: 88)
        #expect(DepthwiseWeightGradient.applies(input: x.shape, weight: w.shape, groups: 6, hasBias: false,
                                                geometry: try WindowGeometry(op: "test", height: 2, width: 2, kernel: (5, 5),
                                                                             stride: (1, 1), dilation: (1, 1), padding: .same)))
        try GradientCheck().check([x, w]) { try Tensor.conv2d($0[0], weight: $0[1], padding: .same, groups: 6) }
        let x2 = Make.uniform([2, 4, 4, 4], seed: 89), w2 = Make.uniform([4, 1, 3, 3], seed: 90)
        try GradientCheck().check([x2, w2]) { try Tensor.conv2d($0[0], weight: $0[1], stride: (2, 2), padding: .same, groups: 4) }
        let x3 = Make.uniform([2, 4, 3, 3], seed: 99), w3 = Make.uniform([4, 1, 3, 3], seed: 100)
        try GradientCheck().check([x3, w3]) { try Tensor.conv2d($0[0], weight: $0[1], padding: .same, dilation: (2, 2), groups: 4) }
    }

    @Test("depthwise 5×5 weight gradients on larger maps (the tap-major loop): stride 1 SAME on 7×9, stride 2 on 9×9, dilated")
    func gradientDepthwiseFiveByFive() throws {
        let x = Make.uniform([2, 3, 7, 9], seed: 101), w = Make.uniform([3, 1, 5, 5], seed: 102)
        #expect(DepthwiseWeightGradient.applies(input: x.shape, weight: w.shape, groups: 3, hasBias: false,
                                                geometry: try WindowGeometry(op: "test", height: 7, width: 9, kernel: (5, 5),
                                                                             stride: (1, 1), dilation: (1, 1), padding: .same)))
        try GradientCheck().check([x, w]) { try Tensor.conv2d($0[0], weight: $0[1], padding: .same, groups: 3) }
        let x2 = Make.uniform([2, 2, 9, 9], seed: 103), w2 = Make.uniform([2, 1, 5, 5], seed: 104)
        try GradientCheck().check([x2, w2]) { try Tensor.conv2d($0[0], weight: $0[1], stride: (2, 2), padding: .same, groups: 2) }
        let x3 = Make.uniform([1, 2, 10, 11], seed: 105), w3 = Make.uniform([2, 1, 5, 5], seed: 106)
        try GradientCheck().check([x3, w3]) { try Tensor.conv2d($0[0], weight: $0[1], padding: .valid, dilation: (2, 1), groups: 2) }
        // Many channels and a wide map, against oneDNN's own result for the same convolution with a bias (which
        // keeps oneDNN's path): the weight gradients must agree.
        let big = Make.uniform([4, 24, 12, 20], seed: 107), filter = Make.uniform([24, 1, 5, 5], seed: 108)
        let zeroBias = Tensor(zeros: [24])
        filter.requiresGradient = true
        zeroBias.requiresGradient = true
        let direct = try Tensor.conv2d(big, weight: filter, padding: .same, groups: 24)
        try direct.sum().backward()
        let ours = try #require(filter.gradient).scalars
        filter.zeroGradient()
        let reference = try Tensor.conv2d(big, weight: filter, bias: zeroBias, padding: .same, groups: 24)
        try reference.sum().backward()
        let theirs = try #require(filter.gradient).scalars
        for (a, b) in zip(ours, theirs) { #expect(abs(a - b) <= 1e-3 * max(1, abs(b))) }
    }

    @Test("conv2d gradients for two groups")
    func gradientGrouped() throws {
        let x = Make.uniform([1, 4, 4, 4], seed: 81), w = Make.uniform([6, 2, 3, 3], seed: 82)
        let b = Make.uniform([6], seed: 83)
        try GradientCheck().check([x, w, b]) { try Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], padding: .same, groups: 2) }
    }

    @Test("conv2d gradients with explicit padding and bias")
    func gradientExplicitWithBias() throws {
        let x = Make.uniform([2, 3, 5, 4], seed: 84), w = Make.uniform([2, 3, 3, 2], seed: 85)
        let b = Make.uniform([2], seed: 86)
        let padding = Padding.explicit(top: 1, bottom: 0, left: 2, right: 1)
        try GradientCheck().check([x, w, b]) {
            try Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: padding)
        }
    }

    @Test("a VGG-sized 3×3 stride-1 convolution (oneDNN's Winograd where the CPU has it) matches a Double loop, forward and both gradients")
    func largeThreeByThree() throws {
        let (n, c, o, side) = (12, 64, 64, 28)
        let x = Make.normal([n, c, side, side], seed: 101), w = Make.uniform([o, c, 3, 3], -0.06, 0.06, seed: 102)
        let g = Make.normal([n, o, side, side], seed: 103, requiresGradient: false)
        let y = try Tensor.conv2d(x, weight: w, padding: .same)
        try (y * g).sum().backward()
        let (px, pw, pg) = (x.scalars.map(Double.init), w.scalars.map(Double.init), g.scalars.map(Double.init))
        var forward = [Double](repeating: 0, count: n * o * side * side)
        var inputGradient = [Double](repeating: 0, count: px.count), weightGradient = [Double](repeating: 0, count: pw.count)
        for b in 0..<n { for oc in 0..<o { for ic in 0..<c { for u in 0..<3 { for v in 0..<3 {
            let weight = pw[((oc * c + ic) * 3 + u) * 3 + v]
            var tap = 0.0
            for i in 0..<side {
                let row = i + u - 1
                guard row >= 0, row < side else { continue }
                for j in 0..<side {
                    let column = j + v - 1
                    guard column >= 0, column < side else { continue }
                    let input = ((b * c + ic) * side + row) * side + column, output = ((b * o + oc) * side + i) * side + j
                    forward[output] += px[input] * weight
                    inputGradient[input] += pg[output] * weight
                    tap += pg[output] * px[input]
                }
            }
            weightGradient[((oc * c + ic) * 3 + u) * 3 + v] += tap
        } } } } }
        func worstRelative(_ actual: [Float], _ expected: [Double]) -> Double {
            let scale = expected.map(abs).max() ?? 1
            return zip(actual, expected).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? .infinity
        }
        let errors = [worstRelative(y.scalars, forward), worstRelative(try #require(x.gradient).scalars, inputGradient),
                      worstRelative(try #require(w.gradient).scalars, weightGradient)]
        print("3×3 convolution \(n)×\(c)×\(side)², worst error over the largest value: forward \(errors[0]), input gradient \(errors[1]), weight gradient \(errors[2])")
        #expect(errors.allSatisfy { $0 <= 1e-5 }, "\(errors)")
    }

    @Test("conv2d bias-only and input-only gradients when other operands are frozen")
    func gradientPartiallyFrozen() throws {
        let x = Make.uniform([1, 2, 4, 4], seed: 87, requiresGradient: false)
        let w = Make.uniform([3, 2, 3, 3], seed: 88, requiresGradient: false)
        let b = Make.uniform([3], seed: 89)
        try GradientCheck().check([x, w, b]) { try Tensor.conv2d($0[0], weight: $0[1], bias: $0[2]) }
        #expect(x.gradient == nil && w.gradient == nil)
        let x2 = Make.uniform([1, 2, 4, 4], seed: 90)
        try GradientCheck().check([x2, w]) { try Tensor.conv2d($0[0], weight: $0[1], padding: .symmetric(1)) }
    }
}

@Suite("oneDNN primitives across threads")
struct PrimitiveThreadingTests {
    /// Runs `body` on a fresh thread (not from the Swift concurrency pool) and waits for it.
    static func onNewThread(_ body: @escaping @Sendable () throws -> Void) throws {
        let finished = DispatchSemaphore(value: 0)
        let failure = Mutex<Error?>(nil)
        let thread = Thread {
            do { try body() } catch { failure.withLock { $0 = error } }
            finished.signal()
        }
        thread.start()
        finished.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Every oneDNN-backed op, forward and backward, on shapes where oneDNN picks blocked layouts and
    /// primitives that need a scratchpad (pooling and batch-norm backward, gemm convolutions, softmax).
    static func exercise(seed: UInt64) throws {
        let x = Make.uniform([2, 16, 5, 5], seed: seed), w = Make.uniform([32, 16, 3, 3], seed: seed + 1)
        let b = Make.uniform([32], seed: seed + 2), dw = Make.uniform([16, 1, 3, 3], seed: seed + 3)
        let small = Make.uniform([1, 2, 6, 6], seed: seed + 4), sw = Make.uniform([3, 2, 3, 3], seed: seed + 5)
        let y = try Tensor.conv2d(x, weight: w, bias: b, stride: (2, 2), padding: .same)
        let z = try Tensor.conv2d(x, weight: dw, padding: .same, groups: 16)
        let pooled = try z.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: .same)
            + z.averagePool2d(kernel: (3, 3), stride: (2, 2), padding: .same)
        let normalized = try Tensor.batchNormTraining(y, scale: Tensor(repeating: 1, shape: [32]),
                                                      shift: Tensor(zeros: [32]), epsilon: 1e-3).output
        let dilated = try Tensor.conv2d(small, weight: sw, dilation: (2, 2))
        // Few channels, unequal strides and padding: oneDNN runs this as im2col + gemm, writing its scratchpad
        // (with the library-managed scratchpad this crashed when run on a thread other than the creating one).
        let fewChannels = Make.uniform([2, 3, 5, 4], seed: seed + 6), fewWeights = Make.uniform([2, 3, 3, 2], seed: seed + 7)
        let im2col = try Tensor.conv2d(fewChannels, weight: fewWeights, bias: Make.uniform([2], seed: seed + 8), stride: (2, 1),
                                       padding: .explicit(top: 1, bottom: 0, left: 2, right: 1))
        let loss = try normalized.gelu().sum() + pooled.softmax(axis: 1).logSoftmax().sum() + dilated.tanh().sum()
            + im2col.sigmoid().sum()
        try loss.backward()
        #expect(x.gradient?.isFinite == true && w.gradient?.isFinite == true && small.gradient?.isFinite == true)
    }

    @Test("Cached primitives created on one thread run on other threads")
    func primitivesMigrateBetweenThreads() throws {
        try Self.exercise(seed: 180)
        for round in 0..<4 {
            try Self.onNewThread { try Self.exercise(seed: 190 + UInt64(round)) }
        }
    }

    @Test("Concurrent callers share the primitive cache safely", arguments: 0..<4)
    func concurrentCallers(round: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<3 { group.addTask { try Self.exercise(seed: 200 + UInt64(10 * round + task)) } }
            try await group.waitForAll()
        }
    }
}
