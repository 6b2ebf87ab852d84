import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneNN
@testable import TuneModels

/// Deterministic adapter values, so a test can check what LoRA does (a fresh adapter's B is zero and changes nothing).
enum LoRAFormula {
    /// Fills adapter number k's A with `sin(…) / √in` (the size PEFT draws A at) and B with `0.02 sin(…)`
    /// (``ReferenceFormula/weights(kind:count:k:fanIn:scrambled:)`` with fans chosen for those sizes; A is weight 2k,
    /// B weight 2k + 1).
    static func fill(_ encoder: BertEncoder) throws {
        for (k, adapter) in encoder.adapters.enumerated() {
            let a = adapter.dense.loraA, b = adapter.dense.loraB
            try a.assign(Tensor(shape: a.shape, scalars: ReferenceFormula.weights(
                kind: .kernel, count: a.elementCount, k: 2 * k, fanIn: 4 * adapter.dense.inFeatures, scrambled: true)))
            try b.assign(Tensor(shape: b.shape, scalars: ReferenceFormula.weights(
                kind: .kernel, count: b.elementCount, k: 2 * k + 1, fanIn: 10_000, scrambled: true)))
        }
    }
}

/// A small BERT shape for fast tests: 2 layers, 8 wide, 2 heads, feed-forward 16.
let tinyBert = BertConfiguration(vocabularySize: 50, hiddenSize: 8, layerCount: 2, headCount: 2, intermediateSize: 16,
                                 maximumPositions: 12)

/// Two texts of 5 and 3 tokens (padded to 5).
func tinyTokens() throws -> TokenIDs {
    try TokenIDs(ids: [1, 7, 9, 30, 2, 1, 44, 2, 0, 0], attentionMask: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0], batchSize: 2, length: 5)
}

/// A tiny encoder with weights drawn from `seed` (larger than BERT's initialization, so adapters matter).
func tinyEncoder(seed: UInt64 = 1) throws -> BertEncoder {
    let encoder = BertEncoder(configuration: tinyBert, generator: WeightGenerator(seed: seed))
    var generator = SeededGenerator(seed: seed)
    for (path, tensor) in encoder.namedParameters() where path.hasSuffix("weight") && tensor.shape.rank == 2 {
        try tensor.assign(Tensor.uniform(tensor.shape, low: -0.3, high: 0.3, generator: &generator))
    }
    return encoder
}

/// A fresh temporary folder, removed by the caller.
func temporaryFolder(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The largest absolute difference between two equally long arrays, at the indices `keep` allows.
func largestDifference(_ values: [Float], _ reference: [Double], where keep: (Int) -> Bool = { _ in true }) -> Double {
    var worst = 0.0
    for index in values.indices where keep(index) { worst = max(worst, abs(Double(values[index]) - reference[index])) }
    return worst
}

/// Expects equal-length arrays within `tolerance` (absolute), reporting the worst element.
func expectCloseArrays(_ actual: [Float], _ expected: [Float], tolerance: Float, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= tolerance, "largest difference \(worst) > \(tolerance)", sourceLocation: sourceLocation)
}
