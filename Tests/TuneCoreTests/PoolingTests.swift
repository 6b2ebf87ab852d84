import Testing
@testable import TuneCore

/// A plain-loop 2-D pooling of NCHW input. Padded positions never win a max; for averages they count
/// toward the divisor only when `includePadding` (then the divisor is the full window).
func naivePool2d(_ x: Tensor, max isMax: Bool, kernel: (Int, Int), stride: (Int, Int),
                 pads: (top: Int, bottom: Int, left: Int, right: Int), includePadding: Bool = false) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = (h + pads.top + pads.bottom - kernel.0) / stride.0 + 1
    let ow = (w + pads.left + pads.right - kernel.1) / stride.1 + 1
    let p = x.scalars
    var out: [Float] = []
    for plane in 0..<(n * c) { for i in 0..<oh { for j in 0..<ow {
        var best = -Float.infinity, total: Float = 0, count = 0
        for u in 0..<kernel.0 { for v in 0..<kernel.1 {
            let y = i * stride.0 - pads.top + u, z = j * stride.1 - pads.left + v
            guard y >= 0, y < h, z >= 0, z < w else { continue }
            let value = p[(plane * h + y) * w + z]
            best = Swift.max(best, value)
            total += value
            count += 1
        } }
        out.append(isMax ? best : total / Float(includePadding ? kernel.0 * kernel.1 : count))
    } } }
    return Make.tensor([n, c, oh, ow], out)
}

@Suite("Pooling")
struct PoolingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let shape: Shape
        let kernel: (Int, Int)
        let stride: (Int, Int)
        let padding: Padding
        let pads: (top: Int, bottom: Int, left: Int, right: Int)
        var testDescription: String { "\(shape) k\(kernel) s\(stride) \(padding)" }
    }

    static let cases: [Case] = [
        Case(shape: [2, 3, 4, 4], kernel: (2, 2), stride: (2, 2), padding: .valid, pads: (0, 0, 0, 0)),
        Case(shape: [1, 2, 5, 5], kernel: (3, 3), stride: (1, 1), padding: .valid, pads: (0, 0, 0, 0)),
        Case(shape: [1, 2, 6, 6], kernel: (3, 3), stride: (2, 2), padding: .same, pads: (0, 1, 0, 1)),
        Case(shape: [1, 2, 5, 5], kernel: (3, 3), stride: (2, 2), padding: .symmetric(1), pads: (1, 1, 1, 1)),
        Case(shape: [2, 1, 5, 6], kernel: (3, 2), stride: (1, 2), padding: .same, pads: (1, 1, 0, 0)),
        Case(shape: [1, 2, 4, 5], kernel: (2, 3), stride: (2, 1),
             padding: .explicit(top: 1, bottom: 0, left: 0, right: 1), pads: (1, 0, 0, 1)),
    ]

    @Test("maxPool2d matches the naive loop", arguments: cases)
    func maxForward(c: Case) throws {
        let x = Make.normal(c.shape, seed: 100)
        let y = try x.maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding)
        expectClose(y, naivePool2d(x, max: true, kernel: c.kernel, stride: c.stride, pads: c.pads), tolerance: 0)
    }

    @Test("averagePool2d matches the naive loop, counting padding both ways", arguments: cases, [false, true])
    func averageForward(c: Case, includePadding: Bool) throws {
        let x = Make.normal(c.shape, seed: 101)
        let y = try x.averagePool2d(kernel: c.kernel, stride: c.stride, padding: c.padding,
                                    countIncludesPadding: includePadding)
        expectClose(y, naivePool2d(x, max: false, kernel: c.kernel, stride: c.stride, pads: c.pads,
                                   includePadding: includePadding), tolerance: 1e-5)
    }

    @Test("maxPool2d strides by the kernel size by default")
    func defaultStride() throws {
        let x = Make.tensor([1, 1, 2, 4], [1, 5, 2, 0, 3, 4, 7, 8])
        let y = try x.maxPool2d(kernel: (2, 2))
        #expect(y.shape == [1, 1, 1, 2])
        #expect(y.scalars == [5, 8])
        #expect(try x.averagePool2d(kernel: (2, 2)).scalars == [3.25, 4.25])
    }

    @Test("maxPool2d gradients reach the window maxima", arguments: cases)
    func maxGradient(c: Case) throws {
        let x = Make.distinct(c.shape, seed: 102)
        try GradientCheck().check([x]) { try $0[0].maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding) }
    }

    @Test("averagePool2d gradients, counting padding both ways", arguments: cases, [false, true])
    func averageGradient(c: Case, includePadding: Bool) throws {
        let x = Make.uniform(c.shape, seed: 103)
        try GradientCheck().check([x]) {
            try $0[0].averagePool2d(kernel: c.kernel, stride: c.stride, padding: c.padding, countIncludesPadding: includePadding)
        }
    }

    @Test("globalAveragePool2d averages each plane and spreads the gradient evenly")
    func globalAverage() throws {
        let x = Make.uniform([2, 3, 4, 5], seed: 104)
        let y = try x.globalAveragePool2d()
        #expect(y.shape == [2, 3])
        expectClose(y.scalars, (0..<6).map { plane in x.scalars[(plane * 20)..<(plane * 20 + 20)].reduce(0, +) / 20 })
        try GradientCheck().check([x]) { try $0[0].globalAveragePool2d() }
    }
}
