import Testing
@testable import TuneCore

@Suite("Reductions and broadcasting")
struct ReductionTests {
    /// x[i, j, k] = 100i + 10j + k for a [2, 3, 4] tensor.
    static func indexed() -> Tensor {
        var values: [Float] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { values.append(Float(100 * i + 10 * j + k)) } } }
        return Make.tensor([2, 3, 4], values)
    }

    @Test("sum over several axes matches loops, with and without kept dimensions")
    func sumForward() throws {
        let x = Self.indexed()
        let over02 = try x.sum(axes: [0, 2])
        #expect(over02.shape == [3])
        var expected: [Float] = [0, 0, 0]
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { expected[j] += Float(100 * i + 10 * j + k) } } }
        #expect(over02.scalars == expected)
        #expect(try x.sum(axes: [0, 2], keepingDimensions: true).shape == [1, 3, 1])
        #expect(try x.sum(axes: [-1]).scalars == [6, 46, 86, 406, 446, 486])
        #expect(try x.sum().shape == [])
        #expect(try x.sum().scalar() == x.scalars.reduce(0, +))
        #expect(try x.sum(keepingDimensions: true).shape == [1, 1, 1])
        #expect(try x.mean(axes: [1, 2]).scalars == [11.5, 111.5])
        #expect(try x.mean(axes: [0], keepingDimensions: true).shape == [1, 3, 4])
    }

    @Test("sum gradients are right for several axis sets",
          arguments: [[0], [1], [2], [0, 2], [1, 2], [-1, 0], []] as [[Int]], [false, true])
    func sumGradient(axes: [Int], keep: Bool) throws {
        let x = Make.uniform([2, 3, 4], seed: 20)
        try GradientCheck().check([x]) { try $0[0].sum(axes: axes, keepingDimensions: keep) }
    }

    @Test("mean gradients are right for several axis sets",
          arguments: [[0], [2], [0, 2], [0, 1, 2], []] as [[Int]], [false, true])
    func meanGradient(axes: [Int], keep: Bool) throws {
        let x = Make.uniform([2, 3, 4], seed: 21)
        try GradientCheck().check([x]) { try $0[0].mean(axes: axes, keepingDimensions: keep) }
    }

    @Test("sum and mean of a rank-0 tensor are the tensor itself")
    func rankZero() throws {
        let x = Tensor(scalar: 3)
        x.requiresGradient = true
        #expect(try x.sum().scalar() == 3)
        #expect(try x.mean().scalar() == 3)
        try GradientCheck().check([x]) { try $0[0].mean() }
    }

    @Test("broadcast(to:) copies along new and size-1 axes and sums the gradient back")
    func broadcastTo() throws {
        let x = Make.tensor([3, 1], [1, 2, 3], requiresGradient: true)
        let y = try x.broadcast(to: [2, 3, 4])
        #expect(y.shape == [2, 3, 4])
        let expected: [Float] = (0..<24).map { index in Float((index / 4) % 3 + 1) }
        #expect(y.scalars == expected)
        try GradientCheck().check([x]) { try $0[0].broadcast(to: [2, 3, 4]) }
        try GradientCheck().check([Make.uniform([4], seed: 22)]) { try $0[0].broadcast(to: [3, 4]) }
    }

    @Test("argmaxLastAxis picks the largest element per row")
    func argmax() throws {
        let x = Make.tensor([2, 3], [1, 5, 2, 9, -1, 3])
        #expect(try x.argmaxLastAxis() == [1, 0])
    }
}

@Suite("Shape operations")
struct ShapeOperationTests {
    @Test("reshaped and flattened keep the elements and pass gradients back")
    func reshape() throws {
        let x = Make.uniform([2, 3, 4], seed: 30)
        let y = try x.reshaped(to: [4, -1])
        #expect(y.shape == [4, 6])
        #expect(y.scalars == x.scalars)
        #expect(try x.flattened().shape == [2, 12])
        try GradientCheck().check([x]) { try $0[0].reshaped(to: [6, 4]).squared() }
        try GradientCheck().check([x]) { try $0[0].flattened().exp() }
    }

    @Test("transposed with a 3-axis permutation moves elements and gradients correctly")
    func transpose() throws {
        let x = ReductionTests.indexed()
        x.requiresGradient = true
        let y = try x.transposed([2, 0, 1])
        #expect(y.shape == [4, 2, 3])
        // y[k, i, j] = x[i, j, k]
        var expected: [Float] = []
        for k in 0..<4 { for i in 0..<2 { for j in 0..<3 { expected.append(Float(100 * i + 10 * j + k)) } } }
        #expect(y.scalars == expected)
        let z = Make.uniform([2, 3, 4], seed: 31)
        try GradientCheck().check([z]) { try $0[0].transposed([2, 0, 1]) }
        try GradientCheck().check([z]) { try $0[0].transposed([1, 2, 0]) }
        try GradientCheck().check([z]) { try $0[0].transposedLastTwo() }
        #expect(try z.transposedLastTwo().shape == [2, 4, 3])
    }

    @Test("concatenate on a middle axis interleaves rows and splits the gradient")
    func concatenate() throws {
        let a = Make.uniform([2, 1, 4], seed: 32)
        let b = Make.uniform([2, 3, 4], seed: 33)
        let c = Make.uniform([2, 2, 4], seed: 34)
        let y = try Tensor.concatenate([a, b, c], axis: 1)
        #expect(y.shape == [2, 6, 4])
        for i in 0..<2 {
            let row = Array(y.scalars[(i * 24)..<(i * 24 + 24)])
            let expected = Array(a.scalars[(i * 4)..<(i * 4 + 4)]) + Array(b.scalars[(i * 12)..<(i * 12 + 12)])
                + Array(c.scalars[(i * 8)..<(i * 8 + 8)])
            #expect(row == expected)
        }
        try GradientCheck().check([a, b, c]) { try Tensor.concatenate($0, axis: 1) }
        try GradientCheck().check([a, b]) { try Tensor.concatenate([$0[0], $0[1], $0[0]], axis: -2) }
        try GradientCheck().check([b, Make.uniform([1, 3, 4], seed: 35)]) { try Tensor.concatenate($0, axis: 0) }
    }

    @Test("sliced on a middle axis takes the right elements and scatters the gradient")
    func slice() throws {
        let x = ReductionTests.indexed()
        let y = try x.sliced(axis: 1, range: 1..<3)
        #expect(y.shape == [2, 2, 4])
        var expected: [Float] = []
        for i in 0..<2 { for j in 1..<3 { for k in 0..<4 { expected.append(Float(100 * i + 10 * j + k)) } } }
        #expect(y.scalars == expected)
        #expect(try x.sliced(axis: -1, range: 3..<4).scalars == [3, 13, 23, 103, 113, 123])
        let z = Make.uniform([2, 3, 4], seed: 36)
        try GradientCheck().check([z]) { try $0[0].sliced(axis: 1, range: 1..<3) }
        try GradientCheck().check([z]) { try $0[0].sliced(axis: 2, range: 0..<1).exp() }
        try GradientCheck().check([z]) {
            try Tensor.concatenate([$0[0].sliced(axis: 1, range: 2..<3), $0[0].sliced(axis: 1, range: 0..<2)], axis: 1)
        }
    }
}
