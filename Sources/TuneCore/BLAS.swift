import COpenBLAS

/// The one place FineTune calls OpenBLAS.
enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C for row-major matrices; op transposes when asked.
    /// `a` is M×K (or K×M when transposed), `b` is K×N (or N×K), `c` is M×N.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if beta == 0 { c.update(repeating: 0, count: m * n) } else { for i in 0..<(m * n) { c[i] *= beta } }
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }

    /// Sets OpenBLAS's thread count.
    static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(count)) }
}
