import Foundation
import Testing
@testable import TuneCore

/// Plain-loop `softmax(x · scale + mask)` over the last axis in Double, `mask` `[B, 1, 1, T]` against `x`
/// `[B, H, Q, T]`; rows with every key masked are zeros.
func naiveMaskedSoftmax(_ x: Tensor, mask: Tensor, scale: Float) -> [Float] {
    let (batch, heads, queries, keys) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let p = x.scalars, m = mask.scalars
    var out = [Float](repeating: 0, count: p.count)
    for b in 0..<batch { for h in 0..<heads { for q in 0..<queries {
        let base = ((b * heads + h) * queries + q) * keys
        let z = (0..<keys).map { Double(p[base + $0]) * Double(scale) + Double(m[b * keys + $0]) }
        let top = z.max() ?? -.infinity
        guard top > -.infinity else { continue }
        let e = z.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        for k in 0..<keys { out[base + k] = Float(e[k] / total) }
    } } }
    return out
}

@Suite("Masked softmax")
struct MaskedSoftmaxTests {
    /// Batch item 0 attends to all 4 keys, item 1 to the first 2, item 2 to none.
    static let attention: [Int32] = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]

    @Test("it matches a Double loop, with exact zeros where masked and zero rows where all keys are masked")
    func forward() throws {
        let x = Make.normal([3, 2, 3, 4], seed: 350)
        let mask = try Tensor.additivePaddingMask(Self.attention, batch: 3, length: 4)
        let y = try x.maskedSoftmax(adding: mask, scale: 0.5)
        #expect(y.shape == x.shape)
        expectClose(y.scalars, naiveMaskedSoftmax(x, mask: mask, scale: 0.5), tolerance: 1e-6)
        let values = y.scalars
        // Item 1: keys 2 and 3 get exactly 0; its rows still sum to 1.
        for row in 0..<6 {
            let start = 24 + row * 4
            #expect(values[start + 2] == 0 && values[start + 3] == 0)
            let total = values[start] + values[start + 1]
            #expect(abs(total - 1) < 1e-6)
        }
        // Item 2: every key masked, so all zeros and no NaN.
        #expect(values[48...].allSatisfy { $0 == 0 })
        #expect(y.isFinite)
    }

    @Test("with a zero mask and scale 1 it is the plain softmax")
    func plainSoftmax() throws {
        let x = Make.normal([2, 3, 5], seed: 351)
        let y = try x.maskedSoftmax(adding: Tensor(zeros: [1]))
        expectClose(y.scalars, try x.softmax().scalars, tolerance: 1e-6)
    }

    @Test("large scores stay finite (the row maximum is subtracted)")
    func stable() throws {
        let x = Make.tensor([1, 1, 1, 3], [1000, 999, -1000])
        let y = try x.maskedSoftmax(adding: Tensor(zeros: [1, 1, 1, 3]))
        let e = Foundation.exp(-1.0)
        expectClose(y.scalars, [Float(1 / (1 + e)), Float(e / (1 + e)), 0], tolerance: 1e-6)
    }

    @Test("the gradient w.r.t. the scores is right with some positions masked")
    func gradient() throws {
        let x = Make.normal([3, 2, 2, 4], seed: 352)
        let mask = try Tensor.additivePaddingMask(Self.attention, batch: 3, length: 4)
        try GradientCheck().check([x]) { try $0[0].maskedSoftmax(adding: mask, scale: 0.7) }
        // Masked keys and fully masked rows pass no gradient.
        let gradient = try #require(x.gradient).scalars
        for row in 0..<4 { #expect(gradient[16 + row * 4 + 2] == 0 && gradient[16 + row * 4 + 3] == 0) }
        #expect(gradient[32...].allSatisfy { $0 == 0 })
    }

    @Test("a mask of rank 4 broadcast over heads and queries, or a full mask, both work")
    func broadcasting() throws {
        let x = Make.normal([2, 2, 3, 3], seed: 353)
        let padding = try Tensor.additivePaddingMask([1, 1, 0, 1, 0, 1], batch: 2, length: 3)
        let full = try padding.broadcast(to: [2, 2, 3, 3]).copy()
        expectClose(try x.maskedSoftmax(adding: padding).scalars, try x.maskedSoftmax(adding: full).scalars, tolerance: 0)
    }

    @Test("additivePaddingMask maps 1 to 0 and 0 to −∞ in [B, 1, 1, T]")
    func paddingMask() throws {
        let mask = try Tensor.additivePaddingMask([1, 0, 1, 1, 1, 0], batch: 2, length: 3)
        #expect(mask.shape == [2, 1, 1, 3])
        let expected: [Float] = [0, -.infinity, 0, 0, 0, -.infinity]
        #expect(mask.scalars == expected)
    }

    @Test("a wrong count or a value other than 0/1 throws; so does a mask that does not broadcast")
    func errors() {
        let count = expectTensorError { try Tensor.additivePaddingMask([1, 1, 0], batch: 2, length: 2) }
        #expect(count?.description.contains("3 mask values given for [2, 2]") == true)
        let value = expectTensorError { try Tensor.additivePaddingMask([1, 1, 2, 0], batch: 2, length: 2) }
        #expect(value?.description.contains("value 2 at position [1, 0]") == true)
        let shape = expectTensorError { try Tensor(zeros: [2, 2, 3, 3]).maskedSoftmax(adding: Tensor(zeros: [2, 1, 1, 4])) }
        #expect(shape?.description.contains("maskedSoftmax") == true)
        let scale = expectTensorError { try Tensor(zeros: [2, 3]).maskedSoftmax(adding: Tensor(zeros: [3]), scale: .nan) }
        #expect(scale?.description.contains("scale") == true)
    }
}
