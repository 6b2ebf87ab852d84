/// Reshaping, transposition, concatenation and slicing.
extension Tensor {
    /// A view with new dimensions and the same elements; one dimension may be `-1` (inferred).
    public func reshaped(to newShape: Shape) throws -> Tensor {
        var dims = newShape.dimensions
        let inferred = dims.indices.filter { dims[$0] == -1 }
        guard inferred.count <= 1, !dims.contains(where: { $0 < -1 }) else {
            throw TensorError.invalidArgument(op: "reshape", message: "invalid target \(newShape)")
        }
        if let axis = inferred.first {
            let known = dims.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
            guard known > 0, elementCount % known == 0 else {
                throw TensorError.shapeMismatch(op: "reshape", shapes: [shape, newShape], message: "cannot infer the -1 dimension")
            }
            dims[axis] = elementCount / known
        }
        let target = Shape(dims)
        guard target.elementCount == elementCount else {
            throw TensorError.shapeMismatch(op: "reshape", shapes: [shape, target], message: "element counts differ")
        }
        let source = shape
        return Tensor.record(Tensor(shape: target, storage: storage), op: "reshape", inputs: [self]) { gradient in
            [try gradient.reshaped(to: source)]
        }
    }

    /// Flattens every axis after the first: `[N, …] → [N, rest]`.
    public func flattened() throws -> Tensor {
        guard shape.rank >= 1 else { throw TensorError.invalidArgument(op: "flatten", message: "needs rank ≥ 1, got \(shape)") }
        return try reshaped(to: [shape[0], shape.dimensions.dropFirst().reduce(1, *)])
    }

    /// Permutes axes: result axis `i` is input axis `permutation[i]`.
    public func transposed(_ permutation: [Int]) throws -> Tensor {
        guard permutation.sorted() == Array(0..<shape.rank) else {
            throw TensorError.invalidArgument(op: "transpose", message: "\(permutation) is not a permutation of the axes of \(shape)")
        }
        let target = Shape(permutation.map { shape[$0] })
        let sourceStrides = shape.strides
        let permutedStrides = permutation.map { sourceStrides[$0] }
        let result = Tensor.uninitialized(target)
        let p = storage.pointer, r = result.storage.pointer
        StridedLoop.rows(shape: target.dimensions, strides0: target.strides, strides1: permutedStrides,
                         strides2: permutedStrides) { o, i, _, n, so, si, _ in
            var o = o, i = i
            for _ in 0..<n { r[o] = p[i]; o += so; i += si }
        }
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (index, axis) in permutation.enumerated() { inverse[axis] = index }
        return Tensor.record(result, op: "transpose", inputs: [self]) { gradient in [try gradient.transposed(inverse)] }
    }

    /// Swaps the last two axes.
    public func transposedLastTwo() throws -> Tensor {
        guard shape.rank >= 2 else { throw TensorError.invalidArgument(op: "transpose", message: "needs rank ≥ 2, got \(shape)") }
        var permutation = Array(0..<shape.rank)
        permutation.swapAt(shape.rank - 1, shape.rank - 2)
        return try transposed(permutation)
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.invalidArgument(op: "concatenate", message: "no tensors given") }
        let axis = try first.shape.normalizedAxis(axis, op: "concatenate")
        for tensor in tensors {
            var a = tensor.shape, b = first.shape
            guard a.rank == b.rank else {
                throw TensorError.shapeMismatch(op: "concatenate", shapes: tensors.map(\.shape), message: "ranks differ")
            }
            a[axis] = 0; b[axis] = 0
            guard a == b else {
                throw TensorError.shapeMismatch(op: "concatenate", shapes: tensors.map(\.shape), message: "dimensions off axis \(axis) differ")
            }
        }
        var target = first.shape
        target[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape.dimensions[..<axis].reduce(1, *)
        let inner = first.shape.dimensions[(axis + 1)...].reduce(1, *)
        let result = Tensor.uninitialized(target)
        let r = result.storage.pointer
        let rowLength = target[axis] * inner
        var offset = 0
        for tensor in tensors {
            let chunk = tensor.shape[axis] * inner
            let p = tensor.storage.pointer
            for o in 0..<outer { (r + o * rowLength + offset).update(from: p + o * chunk, count: chunk) }
            offset += chunk
        }
        let sizes = tensors.map { $0.shape[axis] }
        return record(result, op: "concatenate", inputs: tensors) { gradient in
            var start = 0
            return try sizes.map { size in
                defer { start += size }
                return try gradient.sliced(axis: axis, range: start..<(start + size))
            }
        }
    }

    /// The elements with index in `range` along `axis`.
    public func sliced(axis: Int, range: Range<Int>) throws -> Tensor {
        let axis = try shape.normalizedAxis(axis, op: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw TensorError.invalidArgument(op: "slice", message: "range \(range) is outside 0..<\(shape[axis]) on axis \(axis) of \(shape)")
        }
        var target = shape
        target[axis] = range.count
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        let result = Tensor.uninitialized(target)
        let p = storage.pointer, r = result.storage.pointer
        let chunk = range.count * inner
        for o in 0..<outer { (r + o * chunk).update(from: p + (o * shape[axis] + range.lowerBound) * inner, count: chunk) }
        let source = shape
        return Tensor.record(result, op: "slice", inputs: [self]) { gradient in
            let full = Tensor(zeros: source)
            let g = gradient.storage.pointer, f = full.storage.pointer
            for o in 0..<outer { (f + (o * source[axis] + range.lowerBound) * inner).update(from: g + o * chunk, count: chunk) }
            return [full]
        }
    }
}
