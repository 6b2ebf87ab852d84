import Testing
@testable import TuneCore

/// Naive reference: `[B?, M, K] × [B?, K, N]` where a rank-2 B is shared by every batch item.
func naiveMatmul(_ a: Tensor, _ b: Tensor) -> [Float] {
    let batch = a.shape.rank == 3 ? a.shape[0] : 1
    let m = a.shape[a.shape.rank - 2], k = a.shape[a.shape.rank - 1], n = b.shape[b.shape.rank - 1]
    let pa = a.scalars, pb = b.scalars
    let bStride = b.shape.rank == 3 ? k * n : 0
    var out = [Float](repeating: 0, count: batch * m * n)
    for t in 0..<batch { for i in 0..<m { for j in 0..<n {
        var s: Float = 0
        for l in 0..<k { s += pa[t * m * k + i * k + l] * pb[t * bStride + l * n + j] }
        out[t * m * n + i * n + j] = s
    } } }
    return out
}

@Suite("Matrix products and linear layers")
struct MatMulTests {
    static let cases: [(Shape, Shape)] = [([3, 4], [4, 5]), ([2, 3, 4], [2, 4, 5]), ([2, 3, 4], [4, 5]), ([1, 1], [1, 1])]

    @Test("matmul matches naive loops for 2-D, batched and shared-B operands", arguments: 0..<4)
    func forward(index: Int) throws {
        let (sa, sb) = Self.cases[index]
        let a = Make.uniform(sa, seed: 40), b = Make.uniform(sb, seed: 41)
        let y = try a.matmul(b)
        #expect(y.shape.dimensions == Array(sa.dimensions.dropLast()) + [sb[sb.rank - 1]])
        expectClose(y.scalars, naiveMatmul(a, b))
    }

    @Test("matmul gradients are right for 2-D, batched and shared-B operands", arguments: 0..<4)
    func gradient(index: Int) throws {
        let (sa, sb) = Self.cases[index]
        let a = Make.uniform(sa, seed: 42), b = Make.uniform(sb, seed: 43)
        try GradientCheck().check([a, b]) { try $0[0].matmul($0[1]) }
    }

    @Test("matmul gradient to one operand only")
    func gradientToOneOperand() throws {
        let a = Make.uniform([2, 3, 4], seed: 44), b = Make.uniform([4, 5], seed: 45, requiresGradient: false)
        try GradientCheck().check([a, b]) { try $0[0].matmul($0[1]) }
        #expect(b.gradient == nil)
        let c = Make.uniform([2, 3, 4], seed: 46, requiresGradient: false), d = Make.uniform([2, 4, 5], seed: 47)
        try GradientCheck().check([c, d]) { try $0[0].matmul($0[1]) }
        #expect(c.gradient == nil)
    }

    @Test("linear computes x·Wᵀ + b for rank-2 and rank-3 inputs")
    func linearForward() throws {
        let x = Make.uniform([2, 3, 4], seed: 48), w = Make.uniform([5, 4], seed: 49), b = Make.uniform([5], seed: 50)
        let y = try Tensor.linear(x, weight: w, bias: b)
        #expect(y.shape == [2, 3, 5])
        let wt = try w.transposedLastTwo()
        let reference = naiveMatmul(try x.reshaped(to: [6, 4]), wt)
        expectClose(y.scalars, reference.enumerated().map { $0.element + b.scalars[$0.offset % 5] })
        let noBias = try Tensor.linear(x, weight: w, bias: nil)
        expectClose(noBias.scalars, reference)
        let vector = Make.uniform([4], seed: 58)
        let single = try Tensor.linear(vector, weight: w, bias: b)
        #expect(single.shape == [5])
        expectClose(single.scalars, naiveMatmul(try vector.reshaped(to: [1, 4]), wt).enumerated().map { $0.element + b.scalars[$0.offset] })
    }

    @Test("linear gradients are right with and without bias", arguments: [false, true])
    func linearGradient(withBias: Bool) throws {
        let x = Make.uniform([2, 3, 4], seed: 51), w = Make.uniform([5, 4], seed: 52), b = Make.uniform([5], seed: 53)
        if withBias {
            try GradientCheck().check([x, w, b]) { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        } else {
            try GradientCheck().check([x, w]) { try Tensor.linear($0[0], weight: $0[1], bias: nil) }
        }
        let x2 = Make.uniform([7, 4], seed: 54)
        try GradientCheck().check(withBias ? [x2, w, b] : [x2, w]) {
            try Tensor.linear($0[0], weight: $0[1], bias: withBias ? $0[2] : nil)
        }
    }

    @Test("linear with a frozen weight still gives the input and bias gradients")
    func linearFrozenWeight() throws {
        let x = Make.uniform([3, 4], seed: 55), w = Make.uniform([2, 4], seed: 56, requiresGradient: false)
        let b = Make.uniform([2], seed: 57)
        try GradientCheck().check([x, w, b]) { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        #expect(w.gradient == nil)
    }
}
