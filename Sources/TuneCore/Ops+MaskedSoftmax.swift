import Foundation

/// Softmax over the last axis after scaling and adding a broadcast additive mask (attention), forward and backward
/// side by side.
extension Tensor {
    /// `softmax(self · scale + mask)` over the last axis, `mask` broadcast against `self` (NumPy rules; typically
    /// scores `[B, H, T, T]` and a padding mask `[B, 1, 1, T]` from ``additivePaddingMask(_:batch:length:)``).
    ///
    /// Mask values are 0 (attend) or `-Float.infinity` (never attend): a masked position gets probability exactly 0,
    /// and a row whose positions are all masked is all zeros (not NaN). Gradients flow to `self` only; the mask is a
    /// constant.
    public func maskedSoftmax(adding mask: Tensor, scale: Float = 1) throws -> Tensor {
        let op = "maskedSoftmax"
        guard shape.rank >= 1 else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape], message: "expected rank ≥ 1")
        }
        guard Shape.broadcast(shape, mask.shape) == shape else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, mask.shape],
                                            message: "the mask must broadcast to the shape of the scores")
        }
        guard scale.isFinite else { throw TensorError.invalidArgument(op: op, message: "scale \(scale) must be finite") }
        let length = shape[shape.rank - 1]
        let rows = length == 0 ? 0 : elementCount / length
        // Where each row's mask values start, and the step between them (0 when the mask is broadcast along the row).
        let maskStrides = StridedLoop.broadcastStrides(of: mask.shape, in: shape)
        let maskStep = maskStrides[shape.rank - 1]
        var maskStarts: [Int] = []
        maskStarts.reserveCapacity(rows)
        StridedLoop.rows(shape: shape.dimensions, strides0: shape.strides, strides1: maskStrides,
                         strides2: maskStrides) { _, start, _, _, _, _, _ in maskStarts.append(start) }
        let starts = maskStarts

        let result = Tensor.uninitialized(shape)
        let x = storage.pointer, m = mask.storage.pointer, y = result.storage.pointer
        Self.forEachRow(rows, length: length) { row in
            let xRow = x + row * length, yRow = y + row * length, start = starts[row]
            var top = -Float.infinity
            for j in 0..<length {
                let z = xRow[j] * scale + m[start + j * maskStep]
                yRow[j] = z
                top = Swift.max(top, z)
            }
            guard top > -Float.infinity else {
                // Every position is masked: nothing to attend to.
                yRow.update(repeating: 0, count: length)
                return
            }
            var total: Float = 0
            for j in 0..<length {
                // exp(−∞ − top) is exactly 0 for masked positions.
                let e = expf(yRow[j] - top)
                yRow[j] = e
                total += e
            }
            let reciprocal = 1 / total
            for j in 0..<length { yRow[j] *= reciprocal }
        }
        // Capture the output's storage, not `result` (that would be a reference cycle through its gradientFunction).
        let output = result.storage
        return Tensor.record(result, op: op, inputs: [self]) { gradient in
            // dx = scale · y ⊙ (g − Σ g ⊙ y), row by row; masked positions (y = 0) get 0.
            let gx = Tensor.uninitialized(self.shape)
            let g = gradient.storage.pointer, p = output.pointer, d = gx.storage.pointer
            Self.forEachRow(rows, length: length) { row in
                let gRow = g + row * length, pRow = p + row * length, dRow = d + row * length
                var dot: Float = 0
                for j in 0..<length { dot += gRow[j] * pRow[j] }
                for j in 0..<length { dRow[j] = scale * pRow[j] * (gRow[j] - dot) }
            }
            return [gx]
        }
    }

    /// The additive attention mask `[B, 1, 1, T]` of a row-major `[B, T]` attention mask of ones (attend) and zeros
    /// (padding): 0 where the mask is 1 and `-Float.infinity` where it is 0, for ``maskedSoftmax(adding:scale:)``.
    /// Throws when the count is not `batch · length` or a value is neither 0 nor 1.
    public static func additivePaddingMask(_ attentionMask: [Int32], batch: Int, length: Int) throws -> Tensor {
        let op = "additivePaddingMask"
        guard batch >= 0, length >= 0, attentionMask.count == batch * length else {
            throw TensorError.shapeMismatch(op: op, shapes: [[batch, length]],
                                            message: "\(attentionMask.count) mask values given for [\(batch), \(length)]")
        }
        if let position = attentionMask.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw TensorError.invalidArgument(op: op, message: "value \(attentionMask[position]) at position "
                + "[\(position / length), \(position % length)] is neither 0 nor 1")
        }
        return try Tensor(shape: [batch, 1, 1, length], scalars: attentionMask.map { $0 == 1 ? 0 : -Float.infinity })
    }

    /// Runs `body` for every row, spread over the compute threads when there is enough work to pay for it.
    private static func forEachRow(_ rows: Int, length: Int, _ body: (Int) -> Void) {
        guard rows * length >= 1 << 15, rows > 1 else {
            for row in 0..<rows { body(row) }
            return
        }
        ComputeThreads.parallelFor(rows, body)
    }
}
