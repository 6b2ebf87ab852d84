import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneData
import TuneNN
@testable import TuneModels

@Suite("Prediction")
struct PredictionTests {
    @Test("the evaluation crop follows TensorFlow's rule (crop padding 32, odd pixel after)")
    func evaluationCrop() {
        // side = ⌊224 / 256 · min(h, w)⌋, top = (h − side + 1) / 2, left = (w − side + 1) / 2.
        #expect(EvaluationCrop.region(width: 451, height: 300, size: 224) == CropRegion(x: 95, y: 19, width: 262, height: 262))
        #expect(EvaluationCrop.region(width: 256, height: 256, size: 224) == CropRegion(x: 16, y: 16, width: 224, height: 224))
        #expect(EvaluationCrop.region(width: 100, height: 401, size: 224) == CropRegion(x: 7, y: 157, width: 87, height: 87))
        #expect(EvaluationCrop.region(width: 1, height: 1, size: 224) == CropRegion(x: 0, y: 0, width: 1, height: 1))
    }

    @Test("the classifier's input is the cropped image normalized as (x − 127) / 128, exactly for an unscaled crop")
    func inputIsNormalizedCrop() throws {
        let pixels = (0..<(12 * 10 * 3)).map { UInt8($0 % 256) }
        let image = try PixelImage(width: 12, height: 10, channels: 3, pixels: pixels)
        // With crop padding 0 the crop is the centred 10×10 square; resizing 10 → 8 is not exact, so use size 10.
        let classifier = ImageClassifier(model: Dense(1, inFeatures: 1), labels: ["x"], inputSize: 10,
                                         normalization: .symmetric127, cropPadding: 0)
        let input = try classifier.input(for: image)
        #expect(input.count == 3 * 10 * 10)
        for channel in 0..<3 {
            for row in 0..<10 {
                for column in 0..<10 {
                    let sourceIndex = (row * 12 + column + 1) * 3 + channel
                    let expected = (Float(pixels[sourceIndex]) - 127) / 128
                    let outputIndex = (channel * 10 + row) * 10 + column
                    #expect(input[outputIndex] == expected)
                }
            }
        }
    }

    @Test("prediction names the file and returns the top-k classes in order of probability",
          .requires(.lite0Checkpoint))
    func predictsTopClasses() throws {
        let model = try EfficientNetLite(variant: .lite0, weights: .file(try #require(Lite0Checkpoint.path)))
        let classifier = ImageClassifier(model: model, labels: ImageNetLabels.names, inputSize: 224, normalization: .symmetric127)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("predict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pixels = (0..<(64 * 48 * 3)).map { UInt8(($0 * 37) % 256) }
        let file = folder.appendingPathComponent("noise.png").path
        try Data(ImageCodec.encodePNG(PixelImage(width: 64, height: 48, channels: 3, pixels: pixels))).write(to: URL(fileURLWithPath: file))
        let predictions = try classifier.predict(files: [file], top: 3)
        #expect(predictions.count == 1 && predictions[0].file == file)
        let probabilities = predictions[0].top.map(\.probability)
        #expect(probabilities.count == 3 && probabilities == probabilities.sorted(by: >))
        #expect(predictions[0].top.allSatisfy { ImageNetLabels.names[$0.index] == $0.label })
        #expect { try classifier.predict(files: [folder.appendingPathComponent("missing.jpg").path]) } throws: {
            "\($0)".contains("missing.jpg")
        }
    }
}
