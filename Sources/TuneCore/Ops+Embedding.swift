/// Embedding lookup: rows of a table gathered by integer index, forward and backward side by side.
extension Tensor {
    /// Gathers rows of `table` (`[V, D]`): `indices`, laid out row-major as `shape` (e.g. `[B, T]`), select rows, and
    /// the result is `shape + [D]`.
    ///
    /// The backward scatter-adds the output gradient into a `[V, D]` gradient for the table (an index that appears
    /// several times accumulates); it is computed only when the table requires a gradient. Throws when the index count
    /// does not match `shape` or an index is outside `0..<V` (naming its position and value).
    public static func embedding(table: Tensor, indices: [Int32], shape: Shape) throws -> Tensor {
        let op = "embedding"
        guard table.shape.rank == 2 else {
            throw TensorError.shapeMismatch(op: op, shapes: [table.shape], message: "the table must be [count, dimension]")
        }
        guard !shape.dimensions.contains(where: { $0 < 0 }), indices.count == shape.elementCount else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape],
                                            message: "\(indices.count) indices given for index shape \(shape)")
        }
        let count = table.shape[0], dimension = table.shape[1]
        if let position = indices.firstIndex(where: { $0 < 0 || Int($0) >= count }) {
            throw TensorError.invalidArgument(op: op, message: "index \(indices[position]) at position "
                + "\(Self.multiIndex(position, in: shape)) (element \(position)) is outside 0..<\(count)")
        }
        let result = Tensor.uninitialized(Shape(shape.dimensions + [dimension]))
        let source = table.storage.pointer, destination = result.storage.pointer
        for (position, index) in indices.enumerated() {
            (destination + position * dimension).update(from: source + Int(index) * dimension, count: dimension)
        }
        return record(result, op: op, inputs: [table]) { gradient in
            let tableGradient = Tensor(zeros: table.shape)
            let g = gradient.storage.pointer, t = tableGradient.storage.pointer
            for (position, index) in indices.enumerated() {
                let row = t + Int(index) * dimension, incoming = g + position * dimension
                for j in 0..<dimension { row[j] += incoming[j] }
            }
            return [tableGradient]
        }
    }

    /// The row-major multi-index of flat element `position` in `shape`, e.g. `[1, 2]`.
    static func multiIndex(_ position: Int, in shape: Shape) -> [Int] {
        var remaining = position
        var result = [Int](repeating: 0, count: shape.rank)
        for axis in stride(from: shape.rank - 1, through: 0, by: -1) where shape[axis] > 0 {
            result[axis] = remaining % shape[axis]
            remaining /= shape[axis]
        }
        return result
    }
}
