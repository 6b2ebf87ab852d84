import Testing
@testable import TuneCore

/// Naive reference for `a · bᵀ` over the last two axes: `a` `[B?, M, K]`, `b` `[B?, N, K]` (a rank-2 `b` is shared),
/// accumulated in Double.
func naiveMatmulTransposingOther(_ a: Tensor, _ b: Tensor) -> [Float] {
    let batch = a.shape.rank == 3 ? a.shape[0] : 1
    let m = a.shape[a.shape.rank - 2], k = a.shape[a.shape.rank - 1], n = b.shape[b.shape.rank - 2]
    let pa = a.scalars, pb = b.scalars
    let bStride = b.shape.rank == 3 ? n * k : 0
    var out = [Float](repeating: 0, count: batch * m * n)
    for t in 0..<batch { for i in 0..<m { for j in 0..<n {
        var s = 0.0
        for l in 0..<k { s += Double(pa[t * m * k + i * k + l]) * Double(pb[t * bStride + j * k + l]) }
        out[t * m * n + i * n + j] = Float(s)
    } } }
    return out
}

@Suite("Matrix products with the other operand transposed")
struct TransposedMatMulTests {
    /// `(self, other)` shapes: 2-D, batched, shared other, and a Q·Kᵀ-like batch of heads.
    static let cases: [(Shape, Shape)] = [([3, 4], [5, 4]), ([2, 3, 4], [2, 5, 4]), ([2, 3, 4], [5, 4]), ([6, 3, 2], [6, 3, 2]),
                                          ([1, 1], [1, 1])]

    @Test("self · otherᵀ matches a Double loop", arguments: 0..<5)
    func forward(index: Int) throws {
        let (sa, sb) = Self.cases[index]
        let a = Make.uniform(sa, seed: 300), b = Make.uniform(sb, seed: 301)
        let y = try a.matmul(b, transposingOther: true)
        let expected = Array(sa.dimensions.dropLast()) + [sb[sb.rank - 2]]
        #expect(y.shape.dimensions == expected)
        expectClose(y.scalars, naiveMatmulTransposingOther(a, b), tolerance: 1e-5)
    }

    @Test("it equals matmul with an explicitly transposed copy, and false keeps the plain product")
    func agreesWithTransposedCopy() throws {
        let a = Make.uniform([2, 3, 4], seed: 302), b = Make.uniform([2, 5, 4], seed: 303)
        let viaCopy = try a.matmul(b.transposedLastTwo())
        expectClose(try a.matmul(b, transposingOther: true).scalars, viaCopy.scalars, tolerance: 1e-6)
        let c = Make.uniform([2, 4, 5], seed: 304)
        #expect(try a.matmul(c, transposingOther: false).scalars == a.matmul(c).scalars)
    }

    @Test("gradients for both operands are right", arguments: 0..<5)
    func gradient(index: Int) throws {
        let (sa, sb) = Self.cases[index]
        let a = Make.uniform(sa, seed: 305), b = Make.uniform(sb, seed: 306)
        try GradientCheck().check([a, b]) { try $0[0].matmul($0[1], transposingOther: true) }
    }

    @Test("gradient to one operand only leaves the other without one")
    func gradientToOneOperand() throws {
        let a = Make.uniform([2, 3, 4], seed: 307), b = Make.uniform([2, 5, 4], seed: 308, requiresGradient: false)
        try GradientCheck().check([a, b]) { try $0[0].matmul($0[1], transposingOther: true) }
        #expect(b.gradient == nil)
        let c = Make.uniform([2, 3, 4], seed: 309, requiresGradient: false), d = Make.uniform([5, 4], seed: 310)
        try GradientCheck().check([c, d]) { try $0[0].matmul($0[1], transposingOther: true) }
        #expect(c.gradient == nil)
    }

    @Test("mismatched shapes throw naming matmul and both shapes")
    func errors() {
        let inner = expectTensorError { try Tensor(zeros: [2, 3]).matmul(Tensor(zeros: [5, 4]), transposingOther: true) }
        #expect(inner?.description.contains("[2, 3]") == true && inner?.description.contains("[5, 4]") == true)
        let batch = expectTensorError { try Tensor(zeros: [2, 3, 4]).matmul(Tensor(zeros: [3, 5, 4]), transposingOther: true) }
        #expect(batch?.description.contains("batch sizes differ") == true)
        let rank = expectTensorError { try Tensor(zeros: [3, 4]).matmul(Tensor(zeros: [2, 5, 4]), transposingOther: true) }
        #expect(rank?.description.contains("matmul") == true)
    }
}
