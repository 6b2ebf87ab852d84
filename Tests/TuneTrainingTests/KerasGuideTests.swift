import Foundation
import Testing
import TestFixtures
@testable import FineTune

/// The README's "Keras guide in Swift", line for line, on generated two-class images (32² instead of 64², so the
/// flattened feature map is 1×1).
@Suite("README: the Keras guide in Swift", .requires(.lite0Weights))
struct KerasGuideTests {
    @Test("frozen base + Flatten/Dense 256/Dense 1 head, then the last 4 blocks unfrozen without a recompile")
    func guideRuns() throws {
        let root = SyntheticImages.temporaryFolder("guide")
        try SyntheticImages.write(to: root, classes: ["horizontal", "vertical"], trainPerClass: 12, validationPerClass: 6)
        let side = 32

        let trainFolder = try ImageFolder(scanning: root.appendingPathComponent("train").path)
        let validationFolder = try ImageFolder(scanning: root.appendingPathComponent("validation").path,
                                               classNames: trainFolder.classNames)
        let base = try EfficientNetLite0(weights: .imagenet, includeTop: false)
        base.isTrainable = false
        for case let norm as BatchNorm in base.descendants().map(\.layer) {
            norm.usesRunningStatistics = true
        }
        let featureSide = (side + 31) / 32
        let model = Sequential {
            base
            Flatten()
            Dense(256, inFeatures: base.featureChannels * featureSide * featureSide, activation: .relu)
            Dense(1, inFeatures: 256)
        }

        var options = ImageFolderLoader.Options()
        options.labelMode = .binary
        options.seed = 42
        options.batchSize = 8
        let preprocessing = ImagePreprocessing(for: base, size: side)
        let training = try ImageFolderLoader(folder: trainFolder, preprocessing: preprocessing, options: options)
        options.shuffle = false
        let validation = try ImageFolderLoader(folder: validationFolder, preprocessing: preprocessing, options: options)

        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 1e-3),
                              loss: .binaryCrossEntropy(fromLogits: true), metrics: [.accuracy])
        let frozenStem = try #require(base.stemConv.weight).scalars
        try trainer.fit(training, epochs: 2, validation: validation)
        #expect(model.parameterCount(trainableOnly: true) == 1280 * 256 + 256 + 256 + 1)

        let block15 = try #require(base.blocks[15].namedParameters().first?.tensor).scalars
        base.blocks.suffix(4).forEach { $0.isTrainable = true }
        base.headConv.isTrainable = true
        base.headNorm.isTrainable = true
        trainer.optimizer = Adam(learningRate: 1e-4)
        let history = try trainer.fit(training, epochs: 4, validation: validation, initialEpoch: 2)
        #expect(history.epochs.count == 2)
        #expect(try #require(base.blocks[15].namedParameters().first?.tensor).scalars != block15)
        #expect(try #require(base.stemConv.weight).scalars == frozenStem)
        let metrics = try trainer.evaluate(validation)
        #expect((metrics["accuracy"] ?? 0) >= 0.9, "\(metrics)")
    }
}
