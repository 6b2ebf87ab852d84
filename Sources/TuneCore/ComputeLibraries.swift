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
