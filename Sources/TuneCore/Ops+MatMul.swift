/// Matrix products on OpenBLAS sgemm.
extension Tensor {
    /// Matrix product over the last two axes.
    ///
    /// Without transposition: `[M, K] × [K, N] → [M, N]`; `[B, M, K] × [K, N]` and `[B, M, K] × [B, K, N]` batch over B.
    /// With `transposingOther`, `other` is `[N, K]` or `[B, N, K]` and the product is `self · otherᵀ` (e.g. `Q · Kᵀ` in
    /// attention), computed by sgemm's transposition flag without a transposed copy, forward and backward.
    public func matmul(_ other: Tensor, transposingOther: Bool = false) throws -> Tensor {
        let a = self, b = other
        guard (2...3).contains(a.shape.rank), (2...3).contains(b.shape.rank), !(a.shape.rank == 2 && b.shape.rank == 3) else {
            throw TensorError.shapeMismatch(op: "matmul", shapes: [a.shape, b.shape], message: "expected rank 2 or 3 operands")
        }
        let m = a.shape[a.shape.rank - 2], k = a.shape[a.shape.rank - 1]
        // The other operand is [K, N], or [N, K] when transposed.
        let kb = b.shape[b.shape.rank - (transposingOther ? 1 : 2)], n = b.shape[b.shape.rank - (transposingOther ? 2 : 1)]
        guard k == kb else {
            let which = transposingOther ? "inner dimensions \(k) and \(kb) (the other's last, transposed) differ"
                                         : "inner dimensions \(k) and \(kb) differ"
            throw TensorError.shapeMismatch(op: "matmul", shapes: [a.shape, b.shape], message: which)
        }
        let batch = a.shape.rank == 3 ? a.shape[0] : 1
        if b.shape.rank == 3, b.shape[0] != batch {
            throw TensorError.shapeMismatch(op: "matmul", shapes: [a.shape, b.shape], message: "batch sizes differ")
        }
        let sharedB = b.shape.rank == 2
        let outShape: Shape = a.shape.rank == 3 ? [batch, m, n] : [m, n]
        let result = Tensor.uninitialized(outShape)
        Self.batchedGemm(batch: batch, sharedB: sharedB, transposeA: false, transposeB: transposingOther, m: m, n: n, k: k,
                         a: a.storage.pointer, b: b.storage.pointer, c: result.storage.pointer)
        return Tensor.record(result, op: "matmul", inputs: [a, b]) { gradient in
            let g = gradient.storage.pointer
            var ga: Tensor?, gb: Tensor?
            if a.requiresGradient {
                // dA = G · Bᵀ, or G · B when B was transposed.
                let out = Tensor.uninitialized(a.shape)
                Self.batchedGemm(batch: batch, sharedB: sharedB, transposeA: false, transposeB: !transposingOther,
                                 m: m, n: k, k: n, a: g, b: b.storage.pointer, c: out.storage.pointer)
                ga = out
            }
            if b.requiresGradient {
                // dB = Aᵀ · G ([K, N]), or Gᵀ · A ([N, K]) when B was transposed; a shared B sums over the batch.
                let out = Tensor.uninitialized(b.shape)
                let (rows, columns) = transposingOther ? (n, k) : (k, n)
                let (left, right) = transposingOther ? (g, a.storage.pointer) : (a.storage.pointer, g)
                if sharedB {
                    BLAS.gemm(transposeA: true, transposeB: false, m: rows, n: columns, k: batch * m,
                              a: left, b: right, c: out.storage.pointer)
                } else {
                    let leftStride = transposingOther ? m * n : m * k, rightStride = transposingOther ? m * k : m * n
                    for i in 0..<batch {
                        BLAS.gemm(transposeA: true, transposeB: false, m: rows, n: columns, k: m,
                                  a: left + i * leftStride, b: right + i * rightStride, c: out.storage.pointer + i * k * n)
                    }
                }
                gb = out
            }
            return [ga, gb]
        }
    }

    /// Runs one gemm per batch item (or one tall gemm when B is shared and not transposed on A).
    private static func batchedGemm(batch: Int, sharedB: Bool, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                    a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        if sharedB && !transposeA {
            BLAS.gemm(transposeA: false, transposeB: transposeB, m: batch * m, n: n, k: k, a: a, b: b, c: c)
            return
        }
        let bStride = sharedB ? 0 : k * n
        for i in 0..<batch {
            BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      a: a + i * m * k, b: b + i * bStride, c: c + i * m * n)
        }
    }

    /// A fully connected layer: `x · weightᵀ + bias` with `x` `[…, in]`, `weight` `[out, in]` (PyTorch layout), `bias` `[out]`.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard x.shape.rank >= 1, weight.shape.rank == 2, x.shape[x.shape.rank - 1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(op: "linear", shapes: [x.shape, weight.shape], message: "expected x [..., in] and weight [out, in]")
        }
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        if let bias, bias.shape != [outFeatures] {
            throw TensorError.shapeMismatch(op: "linear", shapes: [bias.shape, weight.shape], message: "bias must be [\(outFeatures)]")
        }
        let rows = x.elementCount / max(inFeatures, 1)
        var outDims = x.shape.dimensions
        outDims[outDims.count - 1] = outFeatures
        let result = Tensor.uninitialized(Shape(outDims))
        let r = result.storage.pointer
        if let bias {
            for row in 0..<rows { (r + row * outFeatures).update(from: bias.storage.pointer, count: outFeatures) }
        }
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                  a: x.storage.pointer, b: weight.storage.pointer, beta: bias == nil ? 0 : 1, c: r)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return record(result, op: "linear", inputs: inputs) { gradient in
            let g = gradient.storage.pointer
            var grads: [Tensor?] = [nil, nil]
            if x.requiresGradient {
                let gx = Tensor.uninitialized(x.shape)
                BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures,
                          a: g, b: weight.storage.pointer, c: gx.storage.pointer)
                grads[0] = gx
            }
            if weight.requiresGradient {
                let gw = Tensor.uninitialized(weight.shape)
                BLAS.gemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows,
                          a: g, b: x.storage.pointer, c: gw.storage.pointer)
                grads[1] = gw
            }
            if let bias {
                let gb = Tensor(zeros: bias.shape)
                let p = gb.storage.pointer
                for row in 0..<rows { for j in 0..<outFeatures { p[j] += g[row * outFeatures + j] } }
                grads.append(gb)
            }
            return grads
        }
    }
}
