import Foundation
import Testing
import TuneCore
@testable import TuneModels

/// Integrity of the PyTorch parity fixtures (the parity run itself needs the checkpoint and the .pth reader).
@Suite("PyTorch reference fixtures")
struct ReferenceFixtureTests {
    @Test("inputs are image A: sin(0.01 · i) rounded to float32", arguments: [64, 96, 224])
    func inputs(side: Int) throws {
        let values = try readFloat32File("A_\(side)_input_f32_1x3x\(side)x\(side).bin")
        #expect(values == (try syntheticInputA(side: side)).scalars)
    }

    /// `logits_first8_f32`, `features_first8_f32` and `argmax` from the manifest.
    @Test("logits and features have the manifest's sizes, first values and argmax", arguments: [
        (64, [-0.9791457056999207, 4.802430152893066, 1.1104570627212524, -5.4000325202941895] as [Float],
         [0, 0, 0, 0, 0, 0.11584332585334778] as [Float]),
        (96, [-0.6985100507736206, 1.5202276706695557, -1.3492616415023804, -2.7798213958740234],
         [0, 0, 0, 0, 0, 0.0998382419347763]),
        (224, [-1.4542477130889893, -0.2582508623600006, -1.7763004302978516, -2.69033145904541],
         [0.13844339549541473, 0, 0.005007543601095676, 0, 0, 0]),
    ])
    func outputs(side: Int, firstLogits: [Float], firstFeatures: [Float]) throws {
        let logits = try readFloat32File("A_\(side)_logits_f32_1000.bin")
        let features = try readFloat32File("A_\(side)_features_f32_1280.bin")
        #expect(logits.count == 1000)
        #expect(features.count == 1280)
        #expect(Array(logits.prefix(firstLogits.count)) == firstLogits)
        #expect(Array(features.prefix(firstFeatures.count)) == firstFeatures)
        #expect(logits.indices.max { logits[$0] < logits[$1] } == 905)
        #expect(features.allSatisfy { $0 >= 0 && $0 <= 6 })
    }
}
