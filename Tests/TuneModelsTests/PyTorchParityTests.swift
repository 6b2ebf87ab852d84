import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneFormats
@testable import TuneModels

/// The EfficientNet-Lite0 ImageNet checkpoint, when available: `FINETUNE_TEST_PTH` names a `.pth` file; otherwise
/// the weight cache (`scripts/test.sh` runs `finetune models fetch efficientnet-lite0` first).
enum Lite0Checkpoint {
    static var path: String? {
        if let path = ProcessInfo.processInfo.environment["FINETUNE_TEST_PTH"], !path.isEmpty,
           FileManager.default.fileExists(atPath: path) {
            return path
        }
        return try? WeightCache().installedPath(for: ModelRegistry.entry(named: "efficientnet-lite0"), includeTop: true)
    }

    static func loadedModel(includeTop: Bool = true) throws -> EfficientNetLite {
        let state = try WeightFile.read(path: try #require(path))
        let model = EfficientNetLite(variant: .lite0, includeTop: includeTop)
        try model.load(state.tensors, strict: includeTop)
        return model
    }
}

/// Parity with PyTorch 2.15 (float32, eval mode) on the synthetic image A (manifest `synthetic_eval`).
@Suite("PyTorch parity", .serialized, .requires(.lite0Checkpoint))
struct PyTorchParityTests {
    @Test("logits within 1e-3 and pooled features within 1e-4 of PyTorch", arguments: [64, 96, 224])
    func logitsAndFeaturesMatch(side: Int) throws {
        let model = try Lite0Checkpoint.loadedModel()
        let input = try Tensor(shape: [1, 3, side, side], scalars: try readFloat32File("A_\(side)_input_f32_1x3x\(side)x\(side).bin"))
        let expectedLogits = try readFloat32File("A_\(side)_logits_f32_1000.bin")
        let expectedFeatures = try readFloat32File("A_\(side)_features_f32_1280.bin")
        let (logits, features) = try withoutGradient { (try model(input), try model.features(input)) }
        let logitDifference = zip(logits.scalars, expectedLogits).map { abs($0 - $1) }.max() ?? .infinity
        let featureDifference = zip(features.scalars, expectedFeatures).map { abs($0 - $1) }.max() ?? .infinity
        print("parity \(side)²: max |Δlogit| = \(logitDifference), max |Δfeature| = \(featureDifference)")
        #expect(logitDifference <= 1e-3)
        #expect(featureDifference <= 1e-4)
        #expect(try logits.argmaxLastAxis() == [905])
    }

    @Test("the headless model loads the ImageNet weights strictly and its pooled features match PyTorch")
    func headlessModelLoads() throws {
        let path = try #require(Lite0Checkpoint.path)
        let model = try EfficientNetLite(variant: .lite0, weights: .file(path), includeTop: false)
        let input = try Tensor(shape: [1, 3, 64, 64], scalars: try readFloat32File("A_64_input_f32_1x3x64x64.bin"))
        let features = try withoutGradient { try model(input).globalAveragePool2d() }
        let expected = try readFloat32File("A_64_features_f32_1280.bin")
        #expect((zip(features.scalars, expected).map { abs($0 - $1) }.max() ?? .infinity) <= 1e-4)
        #expect(model.namedParameters().allSatisfy { !$0.path.hasPrefix("_fc") })
    }
}
