import Testing
@testable import TuneCore

@Suite("Embedding lookup")
struct EmbeddingTests {
    @Test("rows are gathered into shape + [D]")
    func forward() throws {
        let table = Make.uniform([5, 3], seed: 320)
        let indices: [Int32] = [4, 0, 2, 2, 1, 4]
        let y = try Tensor.embedding(table: table, indices: indices, shape: [2, 3])
        #expect(y.shape == [2, 3, 3])
        let rows = table.scalars
        let expected = indices.flatMap { index in (0..<3).map { rows[Int(index) * 3 + $0] } }
        #expect(y.scalars == expected)
        let single = try Tensor.embedding(table: table, indices: [3], shape: [])
        #expect(single.shape == [3])
        #expect(single.scalars == Array(rows[9..<12]))
    }

    @Test("the table gradient scatter-adds, and repeated indices accumulate")
    func scatterAdd() throws {
        let table = Make.uniform([4, 2], seed: 321)
        let y = try Tensor.embedding(table: table, indices: [1, 3, 1, 1], shape: [4])
        let weights = Make.tensor([4, 2], [1, 2, 3, 4, 5, 6, 7, 8])
        try (y * weights).sum().backward()
        let gradient = try #require(table.gradient)
        // Row 1 collects positions 0, 2 and 3 (weights [1, 2] + [5, 6] + [7, 8]); row 3 position 1.
        let expected: [Float] = [0, 0, 13, 16, 0, 0, 3, 4]
        #expect(gradient.scalars == expected)
    }

    @Test("the finite-difference gradient of the table matches")
    func gradient() throws {
        let table = Make.uniform([6, 4], seed: 322)
        try GradientCheck().check([table]) {
            try Tensor.embedding(table: $0[0], indices: [0, 5, 5, 2, 0, 3], shape: [2, 3])
        }
    }

    @Test("a table that needs no gradient records nothing")
    func noGradient() throws {
        let table = Make.uniform([3, 2], seed: 323, requiresGradient: false)
        let y = try Tensor.embedding(table: table, indices: [0, 1], shape: [2])
        #expect(!y.requiresGradient)
    }

    @Test("an index outside 0..<V throws naming its position and value")
    func outOfRange() {
        let table = Tensor(zeros: [5, 2])
        let high = expectTensorError { try Tensor.embedding(table: table, indices: [0, 1, 2, 3, 4, 7], shape: [2, 3]) }
        let text = high?.description ?? ""
        for fragment in ["embedding", "index 7", "[1, 2]", "0..<5"] { #expect(text.contains(fragment), "\(text)") }
        let negative = expectTensorError { try Tensor.embedding(table: table, indices: [-1], shape: [1]) }
        #expect(negative?.description.contains("index -1 at position [0]") == true)
    }

    @Test("a count that does not match the shape, or a table that is not 2-D, throws")
    func shapeErrors() {
        let table = Tensor(zeros: [5, 2])
        let count = expectTensorError { try Tensor.embedding(table: table, indices: [0, 1, 2], shape: [2, 2]) }
        #expect(count?.description.contains("3 indices given for index shape [2, 2]") == true)
        let rank = expectTensorError { try Tensor.embedding(table: Tensor(zeros: [5]), indices: [0], shape: [1]) }
        #expect(rank?.description.contains("embedding") == true)
    }
}
