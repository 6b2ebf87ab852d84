/// Sums and means over axes.
extension Tensor {
    /// Sums over `axes` (all axes when empty). With `keepingDimensions` reduced axes stay as size 1.
    public func sum(axes: [Int] = [], keepingDimensions: Bool = false) throws -> Tensor {
        let resolved = try Set((axes.isEmpty ? Array(0..<shape.rank) : axes).map { try shape.normalizedAxis($0, op: "sum") })
        var kept = shape
        for axis in resolved { kept[axis] = 1 }
        let result = Tensor(zeros: kept)
        let p = storage.pointer, r = result.storage.pointer
        let outStrides = StridedLoop.broadcastStrides(of: kept, in: shape)
        StridedLoop.rows(shape: shape.dimensions, strides0: shape.strides, strides1: outStrides,
                         strides2: outStrides) { i, o, _, n, si, so, _ in
            if so == 0 {
                var total: Float = 0
                var i = i
                for _ in 0..<n { total += p[i]; i += si }
                r[o] += total
            } else {
                var i = i, o = o
                for _ in 0..<n { r[o] += p[i]; i += si; o += so }
            }
        }
        let outputShape = keepingDimensions ? kept : Shape(shape.dimensions.enumerated().filter { !resolved.contains($0.offset) }.map(\.element))
        let reshapedResult = Tensor(shape: outputShape, storage: result.storage)
        let inputShape = shape
        return Tensor.record(reshapedResult, op: "sum", inputs: [self]) { gradient in
            [try gradient.reshaped(to: kept).broadcast(to: inputShape)]
        }
    }

    /// Means over `axes` (all axes when empty).
    public func mean(axes: [Int] = [], keepingDimensions: Bool = false) throws -> Tensor {
        let resolved = try Set((axes.isEmpty ? Array(0..<shape.rank) : axes).map { try shape.normalizedAxis($0, op: "mean") })
        let count = resolved.reduce(1) { $0 * shape[$1] }
        guard count > 0 else { throw TensorError.invalidArgument(op: "mean", message: "mean over an empty axis of \(shape)") }
        return try sum(axes: Array(resolved), keepingDimensions: keepingDimensions).scaled(by: 1 / Float(count))
    }

    /// Copies this tensor along size-1 (or missing leading) axes to `target`.
    public func broadcast(to target: Shape) throws -> Tensor {
        guard Shape.broadcast(shape, target) == target else {
            throw TensorError.shapeMismatch(op: "broadcast", shapes: [shape, target], message: "cannot broadcast")
        }
        if shape == target { return self }
        let result = Tensor.uninitialized(target)
        let p = storage.pointer, r = result.storage.pointer
        StridedLoop.rows(shape: target.dimensions, strides0: target.strides,
                         strides1: StridedLoop.broadcastStrides(of: shape, in: target), strides2: target.strides) { o, i, _, n, so, si, _ in
            var o = o, i = i
            for _ in 0..<n { r[o] = p[i]; o += so; i += si }
        }
        let source = shape
        return Tensor.record(result, op: "broadcast", inputs: [self]) { gradient in [try gradient.summed(toShape: source)] }
    }

    /// The index of the largest element along the last axis, per row (not differentiable).
    public func argmaxLastAxis() throws -> [Int] {
        guard shape.rank >= 1, shape[shape.rank - 1] > 0 else {
            throw TensorError.invalidArgument(op: "argmax", message: "needs a non-empty last axis, got \(shape)")
        }
        let width = shape[shape.rank - 1]
        let rows = elementCount / width
        let p = storage.pointer
        return (0..<rows).map { row in
            var best = 0
            for j in 1..<width where p[row * width + j] > p[row * width + best] { best = j }
            return best
        }
    }
}
