import Foundation
import CDNNL
import COpenBLAS

/// Thread settings shared by the compute libraries.
public enum ComputeThreads {
    /// Uses `count` threads in oneDNN (OpenMP) and OpenBLAS. Call before heavy work; a fixed count with a
    /// fixed seed gives reproducible results.
    public static func set(_ count: Int) {
        let count = max(1, count)
        DNNL.setThreadCount(count)
        BLAS.setThreadCount(count)
    }

    /// The thread count oneDNN currently uses.
    public static var current: Int { DNNL.threadCount }

    /// Treats denormal floats as zero on the calling thread (and on threads it starts afterwards, such as oneDNN's
    /// OpenMP workers). Values below 1.2e-38 then become 0: numerically irrelevant for training, but it keeps tiny
    /// gradients and Adam moments from slowing each operation on them ~50-fold. The trainer calls it; the first
    /// oneDNN use does too.
    public static func flushDenormalsOnCurrentThread() { finetune_flush_denormals() }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over oneDNN's OpenMP threads (thread `t` of `T` takes
    /// `t, t + T, …`). Using oneDNN's own team rather than a second pool keeps the two from competing for the cores:
    /// OpenMP workers spin for a while after each oneDNN call, and a Dispatch worker started meanwhile would share a
    /// core with a spinning thread. `body` must not throw and must write only what its own `i` owns.
    public static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        let threads = min(count, DNNL.threadCount)
        guard threads > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var job = ParallelJob(count: count, body: body)
            withUnsafeMutablePointer(to: &job) { pointer in
                GOMP_parallel({ raw in
                    guard let job = raw?.assumingMemoryBound(to: ParallelJob.self).pointee else { return }
                    let (thread, threads) = (Int(omp_get_thread_num()), Int(omp_get_num_threads()))
                    var i = thread
                    while i < job.count {
                        job.body(i)
                        i += threads
                    }
                }, pointer, UInt32(threads), 0)
            }
        }
    }

    /// What one ``parallelFor(_:_:)`` region runs.
    private struct ParallelJob {
        let count: Int
        let body: (Int) -> Void
    }
}

/// Versions of the libraries doing the arithmetic, for `finetune version` and run reports.
public enum ComputeLibraries {
    /// oneDNN's version, e.g. `2.6.3`.
    public static var oneDNNVersion: String {
        guard let version = dnnl_version()?.pointee else { return "unknown" }
        return "\(version.major).\(version.minor).\(version.patch)"
    }

    /// OpenBLAS's build configuration string (version and kernel).
    public static var openBLASDescription: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingCharacters(in: .whitespaces)
    }
}

/// FineTune's version, as `finetune version` prints it and run folders record it.
public enum FineTuneVersion {
    public static let string = "0.1.0"
}
