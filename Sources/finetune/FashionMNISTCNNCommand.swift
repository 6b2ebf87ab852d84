import ArgumentParser
import FineTune
import FineTuneExamples
import Foundation

struct FashionMNISTCNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fashion-mnist-cnn",
        abstract: "Train a small CNN from scratch on Fashion-MNIST (Debian's dataset-fashion-mnist) and print test accuracy."
    )

    private static let defaults = FashionMNISTBaseline.Options()

    @Option(help: "Training images to use (the first N).") var trainLimit = defaults.trainLimit
    @Option(help: "Test images to evaluate on (the first N).") var testLimit = defaults.testLimit
    @Option(help: "Epochs.") var epochs = defaults.epochs
    @Option(help: "Batch size.") var batchSize = defaults.batchSize
    @Option(help: "Adam learning rate.") var learningRate = defaults.learningRate
    @Option(help: "Random seed (weights, shuffling, dropout).") var seed = defaults.seed
    @Option(help: "Compute threads (oneDNN and OpenBLAS).") var threads: Int?
    @Option(help: "Folder with the Fashion-MNIST IDX .gz files.") var dataDirectory: String?

    func validate() throws {
        guard trainLimit > 0, testLimit > 0 else { throw ValidationError("--train-limit and --test-limit must be positive") }
        guard epochs > 0 else { throw ValidationError("--epochs must be positive") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        if let threads { ComputeThreads.set(threads) }
        var options = FashionMNISTBaseline.Options()
        options.trainLimit = trainLimit
        options.testLimit = testLimit
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.seed = seed
        if let dataDirectory { options.directory = dataDirectory }
        print("Fashion-MNIST CNN: \(trainLimit) training images, \(testLimit) test images, \(epochs) epochs, "
              + "batch \(batchSize), \(ComputeThreads.current) threads")
        let start = Date()
        let outcome = try FashionMNISTBaseline.run(options) { ProgressLogger(batchesPerEpoch: $0) }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "Test accuracy: %.2f%% (loss %.4f) on %d images after %.0f s",
                     outcome.testAccuracy * 100, outcome.testLoss, outcome.testCount, seconds))
    }
}
