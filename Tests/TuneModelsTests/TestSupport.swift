import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneNN
@testable import TuneModels

extension Fixture {
    /// See ``Lite0Checkpoint``.
    static let lite0Checkpoint = Fixture("the EfficientNet-Lite0 ImageNet checkpoint",
                                         remedy: "run `finetune models fetch efficientnet-lite0` (scripts/test.sh does) or set FINETUNE_TEST_PTH") {
        Lite0Checkpoint.path != nil
    }

    /// See ``TestPhotos``.
    static let testPhotos = Fixture("the test photos (scikit-image's wheel in $FINETUNE_HOME/test-data)",
                                    remedy: "run scripts/fetch-test-photos.sh (scripts/test.sh does)") {
        TestPhotos.wheel != nil
    }
}

/// The reference binaries copied from the PyTorch parity run (see `Fixtures/README.md`).
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Reads a raw little-endian float32 file.
func readFloat32File(_ name: String) throws -> [Float] {
    let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent(name))
    precondition(data.count % 4 == 0, "\(name): \(data.count) bytes is not a whole number of float32 values")
    return (0..<(data.count / 4)).map { index in
        let bits = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self) }
        return Float(bitPattern: UInt32(littleEndian: bits))
    }
}

/// The manifest's synthetic image A: `x[0, c, h, w] = sin(0.01 · i)`, i the row-major index, in float64 then
/// rounded to float32.
func syntheticInputA(side: Int) throws -> Tensor {
    let count = 3 * side * side
    return try Tensor(shape: [1, 3, side, side], scalars: (0..<count).map { Float(sin(0.01 * Double($0))) })
}

/// A deterministic, non-trivial input `[batch, 3, side, side]` in about −1…1.
func testInput(batch: Int = 1, side: Int) throws -> Tensor {
    let count = batch * 3 * side * side
    return try Tensor(shape: [batch, 3, side, side], scalars: (0..<count).map { Float(sin(0.37 * Double($0) + 0.1)) })
}

/// One model per process for read-only checks of names, shapes and counts (no forward passes: tests run in
/// parallel and must not share a model they run).
nonisolated(unsafe) let sharedLite0 = EfficientNetLite(variant: .lite0)

/// The parameters of `layer` as a path → shape map.
func parameterShapes(_ layer: Layer) -> [String: Shape] {
    Dictionary(uniqueKeysWithValues: layer.namedParameters().map { ($0.path, $0.tensor.shape) })
}
