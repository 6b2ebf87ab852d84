import Foundation

/// Thread settings shared by the compute libraries.
public enum ComputeThreads {
    /// Uses `count` threads in oneDNN (OpenMP) and OpenBLAS. Call before heavy work; a fixed count with a
    /// fixed seed gives reproducible results.
    public static func set(_ count: Int) {
        let count = max(1, count)
        OpenMPTeam.setThreadCount(count)
        BLAS.setThreadCount(count)
    }

    /// The thread count oneDNN currently uses.
    public static var current: Int { OpenMPTeam.threadCount }

    /// Treats denormal floats as zero on the calling thread (and on threads it starts afterwards, such as oneDNN's
    /// OpenMP workers). Values below 1.2e-38 then become 0: numerically irrelevant for training, but it keeps tiny
    /// gradients and Adam moments from slowing each operation on them ~50-fold. The trainer calls it; the first
    /// oneDNN use does too.
    public static func flushDenormalsOnCurrentThread() { OpenMPTeam.flushDenormalsOnCurrentThread() }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over oneDNN's OpenMP threads (thread `t` of `T` takes
    /// `t, t + T, …`). Using oneDNN's own team rather than a second pool keeps the two from competing for the cores
    /// (see ``OpenMPTeam/parallelFor(_:threads:_:)``). `body` must not throw and must write only what its own `i` owns.
    public static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        let threads = min(count, OpenMPTeam.threadCount)
        guard threads > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        OpenMPTeam.parallelFor(count, threads: threads, body)
    }
}

/// Versions of the libraries doing the arithmetic, for `finetune version` and run reports.
public enum ComputeLibraries {
    /// oneDNN's version, e.g. `2.6.3`.
    public static var oneDNNVersion: String { DNNL.version }

    /// OpenBLAS's build configuration string (version and kernel).
    public static var openBLASDescription: String { BLAS.configuration }
}

/// FineTune's version, as `finetune version` prints it and run folders record it.
public enum FineTuneVersion {
    public static let string = "0.1.0"
}
