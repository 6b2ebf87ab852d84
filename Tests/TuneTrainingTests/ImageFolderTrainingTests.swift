import Foundation
import Testing
import TestFixtures
@testable import FineTune

@Suite("Training from image folders", .serialized)
struct ImageFolderTrainingTests {
    @Test("a small CNN learns Sneaker vs Ankle_boot from PNG folders written by the datasets tool",
          .requires(.fashionMNIST))
    func learnsFromFolders() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("folder-training-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try FashionMNISTExport.write(to: root.path, classes: ["Sneaker", "Ankle_boot"], trainLimit: 2000,
                                         validationLimit: 200)
        let splits = try ImageFolderSplits(root: root.path)
        let validationFolder = try #require(splits.validation)
        let preprocessing = ImagePreprocessing(height: 28, width: 28, normalization: .unitRange)
        var options = ImageFolderLoader.Options()
        options.batchSize = 32
        options.labelMode = .binary
        options.seed = 3
        let training = try ImageFolderLoader(folder: splits.training, preprocessing: preprocessing, options: options)
        options.shuffle = false
        let validation = try ImageFolderLoader(folder: validationFolder, preprocessing: preprocessing, options: options)

        let weights = WeightGenerator(seed: 3)
        let model = Sequential {
            Conv2D(8, kernelSize: 3, inChannels: 3, padding: .same, activation: .relu, generator: weights)
            MaxPool2D(poolSize: 2)
            Flatten()
            Dense(1, inFeatures: 8 * 14 * 14, generator: weights)
        }
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 3e-3),
                              loss: .binaryCrossEntropy(fromLogits: true), metrics: [.accuracy], seed: 3)
        let history = try trainer.fit(training, epochs: 2, validation: validation)
        print("history: \(history.epochs)")
        let accuracy = try #require(history.values("val_accuracy").last)
        print("Sneaker vs Ankle_boot from folders: validation accuracy \(accuracy)")
        #expect(accuracy >= 0.9)
        let predictions = try trainer.predict(validation)
        #expect(predictions.shape == [200, 1])
    }
}
