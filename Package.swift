// swift-tools-version:6.0
import PackageDescription

/// FineTune: fine-tune pretrained networks in Swift on Linux CPUs.
///
/// Modules form a one-way chain:
/// `TuneCore` → `TuneNN`, `TuneFormats` → `TuneData` → `TuneModels` → `TuneTraining` → `FineTune` (umbrella) →
/// `FineTuneExamples` (small programs built on the API) → `finetune` (CLI). (`TuneData` reads gzip through
/// `TuneFormats`'s zlib wrapper.)
/// Only `TuneCore` talks to oneDNN and OpenBLAS; only `TuneFormats/Zlib/` talks to zlib, only `TuneFormats/HDF5/` to
/// libhdf5, only `TuneModels/Registry/FileDigest.swift` to swift-crypto (and `TuneDataTests`, for the digests of the
/// tokenizer parity fixtures).
let package = Package(
    name: "FineTune",
    products: [
        .library(name: "FineTune", targets: ["FineTune"]),
        .executable(name: "finetune", targets: ["finetune"]),
        .executable(name: "tune-benchmarks", targets: ["TuneBenchmarks"]),
        .executable(name: "tune-data-benchmarks", targets: ["TuneDataBenchmarks"]),
        .executable(name: "tune-finetune-benchmarks", targets: ["TuneFineTuneBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .target(name: "TuneCore", dependencies: ["CDNNL", "COpenBLAS"]),
        .target(name: "TuneNN", dependencies: ["TuneCore"]),
        .target(name: "TuneData", dependencies: ["TuneCore", "TuneFormats", "CTurboJPEG", "CPNG"]),
        .target(name: "TuneFormats", dependencies: ["TuneCore", "CZlib", "CHDF5"]),
        .target(name: "TuneModels", dependencies: ["TuneNN", "TuneData", "TuneFormats", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "TuneTraining", dependencies: ["TuneNN", "TuneData", "TuneFormats", "TuneModels"]),
        .target(name: "FineTune", dependencies: ["TuneCore", "TuneNN", "TuneData", "TuneFormats", "TuneModels", "TuneTraining"]),
        .target(name: "FineTuneExamples", dependencies: ["FineTune"]),
        .executableTarget(
            name: "finetune",
            dependencies: ["FineTune", "FineTuneExamples", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "TuneBenchmarks", dependencies: ["TuneCore", "TuneNN", "TuneModels"]),
        .executableTarget(name: "TuneDataBenchmarks", dependencies: ["TuneCore", "TuneData"]),
        .executableTarget(name: "TuneFineTuneBenchmarks", dependencies: ["FineTune"]),
        // What the test targets need from outside the repository, and the `requires` trait that skips without it
        // (or fails, with FINETUNE_REQUIRE_FIXTURES=1).
        .target(name: "TestFixtures", path: "Tests/TestFixtures"),
        .testTarget(name: "TuneCoreTests", dependencies: ["TuneCore"]),
        .testTarget(name: "TuneNNTests", dependencies: ["TuneNN"]),
        .testTarget(
            name: "TuneDataTests",
            dependencies: ["TuneData", "TuneFormats", "TestFixtures", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "TuneFormatsTests", dependencies: ["TuneFormats", "TestFixtures"]),
        .testTarget(name: "TuneModelsTests", dependencies: ["TuneModels", "TestFixtures"], exclude: ["Fixtures"]),
        .testTarget(name: "TuneTrainingTests", dependencies: ["FineTune", "FineTuneExamples", "TuneTraining", "TestFixtures"]),
    ]
)
