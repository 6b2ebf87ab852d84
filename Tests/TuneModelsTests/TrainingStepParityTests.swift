import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneNN
@testable import TuneModels

/// The one-step training reference (manifest `train_step`): pretrained Lite0 in training mode (every BatchNorm on
/// batch statistics), a 4-class head with given weights, labels [1, 3], mean cross-entropy, backward through
/// every parameter. The reference values are PyTorch's float64 run of the same step — the manifest's "truth"; its
/// float32 run differs from it by about as much as ours does. Tolerances from the manifest: loss 1e-5 relative;
/// gradient L2 norms of the head, `_conv_head` and block 15 to 1e-4 relative (early layers agree only to ~1e-3
/// even between PyTorch float32 and float64, so they get 1e-2).
@Suite("PyTorch training-step parity", .serialized, .requires(.lite0Checkpoint))
struct TrainingStepParityTests {
    static let referenceLoss: Float = 1.249396954718681
    static let referenceLogits: [Float] = [-0.02429532181579669, 0.0783371738520458, -0.10413817636201032, 0.08676309497253387,
                                           0.16835757056889025, 0.010943243803748025, -0.20101509734652698, 0.29183236714184535]
    static let referenceGradientNorms: [String: Double] = [
        "_fc.weight": 4.757868058164962, "_fc.bias": 0.46398613839816427, "_conv_head.weight": 2.5909754482206493,
        "_bn1.weight": 0.18062645664648164, "_bn1.bias": 0.10651637717238639,
        "_blocks.15._project_conv.weight": 2.3597576139273797, "_blocks.15._depthwise_conv.weight": 1.6557285134457913,
    ]
    /// Early layers: only ~1e-3 relative agreement is expected.
    static let earlyGradientNorms: [String: Double] = [
        "_blocks.0._depthwise_conv.weight": 14.833737295892822, "_conv_stem.weight": 31.746912813494518,
        "_bn0.weight": 0.5259515213766166,
    ]

    @Test("loss, train-mode logits and gradient norms match PyTorch")
    func oneTrainingStepMatches() throws {
        let base = try EfficientNetLite(variant: .lite0, weights: .file(try #require(Lite0Checkpoint.path)), includeTop: false)
        let head = Dense(4, inFeatures: 1280)
        try #require(head.weight).assign(Tensor(shape: [4, 1280], scalars: try readFloat32File("train_head_weight_f32_4x1280.bin")))
        try #require(head.bias).assign(Tensor(shape: [4], scalars: [-0.015, -0.005, 0.005, 0.015]))
        let input = try Tensor(shape: [2, 3, 224, 224], scalars: try readFloat32File("train_synthetic_batch_f32_2x3x224x224.bin"))
        let context = ForwardContext(isTraining: true)
        let logits = try head(try base(input, context: context).globalAveragePool2d(), context: context)
        let loss = try Loss.sparseCategoricalCrossEntropy(fromLogits: true)(logits, Tensor(shape: [2], scalars: [1, 3]))
        try loss.backward()

        let lossValue = try loss.scalar()
        let lossError = abs(lossValue - Self.referenceLoss) / Self.referenceLoss
        let logitError = zip(logits.scalars, Self.referenceLogits).map { abs($0 - $1) }.max() ?? .infinity
        print("training step: loss \(lossValue) (relative error \(lossError)), max |Δlogit| \(logitError)")
        #expect(lossError <= 1e-5)
        #expect(logitError <= 1e-4)

        var gradients: [String: Tensor] = [:]
        for (path, tensor) in base.namedParameters() { gradients[path] = tensor.gradient }
        gradients["_fc.weight"] = head.weight?.gradient
        gradients["_fc.bias"] = head.bias?.gradient
        func norm(_ name: String) throws -> Double {
            let gradient = try #require(gradients[name], "no gradient for \(name)")
            return gradient.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
        for (name, expected) in Self.referenceGradientNorms.sorted(by: { $0.key < $1.key }) {
            let relative = abs(try norm(name) - expected) / expected
            print("  ‖∇\(name)‖ relative error \(relative)")
            // All within 1e-5 since training-mode batch norm reduces in Double (the block 15 project conv was
            // 1.45e-4 off with oneDNN's Float reductions over the 25 088 values per channel of the early layers).
            #expect(relative <= 1e-4, "\(name)")
        }
        for (name, expected) in Self.earlyGradientNorms.sorted(by: { $0.key < $1.key }) {
            let relative = abs(try norm(name) - expected) / expected
            print("  ‖∇\(name)‖ relative error \(relative) (early layer)")
            #expect(relative <= 1e-2, "\(name)")
        }
    }
}
