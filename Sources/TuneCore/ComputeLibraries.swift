import Foundation

/// Versions of the libraries doing the arithmetic, for `finetune version` and run reports.
public enum ComputeLibraries {
    /// oneDNN's version, e.g. `2.6.3`.
    public static var oneDNNVersion: String { DNNL.version }

    /// The threading runtime oneDNN was built with; FineTune shares its OpenMP team (`OpenMP` expected).
    public static var oneDNNThreading: String { DNNL.cpuRuntime }

    /// OpenBLAS's build configuration string (version and kernel).
    public static var openBLASDescription: String { BLAS.configuration }
}

/// FineTune's version, as `finetune version` prints it and run folders record it.
public enum FineTuneVersion {
    public static let string = "0.1.0"
}
