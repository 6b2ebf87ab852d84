import COpenBLAS
import Foundation
import Synchronization

/// The one place FineTune calls OpenBLAS.
enum BLAS {
    /// Below this many multiply-adds a GEMM runs on the calling thread alone. OpenBLAS would split anything above
    /// 262,144 over its own pthreads, which then spin-wait with `sched_yield` after the call and take a core from
    /// oneDNN's OpenMP threads for the convolutions that follow (13 % of a fine-tuning step's CPU time on 2 cores,
    /// for a head GEMM of 32×1280×10 that takes microseconds).
    static let singleThreadedMultiplyAdds = 1 << 22

    /// The thread count OpenBLAS is set to now (0 before the first GEMM).
    private static let threads = Mutex(0)

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
        useThreads(forMultiplyAdds: m * n * k)
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }

    /// OpenBLAS's build configuration string (version and kernel).
    static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingCharacters(in: .whitespaces)
    }

    /// Large GEMMs use the compute team's size (``ComputeThreads``), small ones one thread.
    private static func useThreads(forMultiplyAdds multiplyAdds: Int) {
        let wanted = multiplyAdds < singleThreadedMultiplyAdds ? 1 : ComputeThreads.forNextWork()
        threads.withLock { current in
            guard wanted != current else { return }
            openblas_set_num_threads(Int32(wanted))
            current = wanted
        }
    }
}
