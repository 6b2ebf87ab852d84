import FineTune
import Foundation

/// The from-scratch proof that the engine learns: a small CNN (conv-BN-ReLU twice, pooling, dense) trained on a
/// slice of Fashion-MNIST from Debian's `dataset-fashion-mnist`.
public enum FashionMNISTBaseline {
    /// What to train on and how.
    public struct Options: Sendable {
        public var trainLimit = 10_000
        public var testLimit = 2_000
        public var epochs = 4
        public var batchSize = 32
        public var learningRate: Float = 1e-3
        public var seed: UInt64 = 42
        public var directory: String = FashionMNIST.directory

        public init() {}
    }

    /// The result of a run.
    public struct Outcome: Sendable {
        public let history: History
        public let testLoss: Float
        public let testAccuracy: Float
        public let trainCount: Int
        public let testCount: Int
    }

    /// conv 3×3 (32) → BN → ReLU → max-pool 2 → conv 3×3 (64) → BN → ReLU → max-pool 2 → flatten → dense 10 (logits),
    /// with initial weights from `generator`.
    public static func makeModel(generator: WeightGenerator = WeightGenerator(seed: 0)) -> Sequential {
        Sequential {
            Conv2D(32, kernelSize: 3, inChannels: 1, padding: .same, useBias: false, kernelInitializer: .heNormal,
                   generator: generator)
            BatchNorm(channels: 32)
            ActivationLayer(.relu)
            MaxPool2D(poolSize: 2)
            Conv2D(64, kernelSize: 3, inChannels: 32, padding: .same, useBias: false, kernelInitializer: .heNormal,
                   generator: generator)
            BatchNorm(channels: 64)
            ActivationLayer(.relu)
            MaxPool2D(poolSize: 2)
            Flatten()
            Dense(10, inFeatures: 64 * 7 * 7, generator: generator)
        }
    }

    /// Loads the data, trains and evaluates on the test slice.
    public static func run(_ options: Options, callbacks: [any Callback] = [],
                           progress: ((Int) -> ProgressLogger?)? = nil) throws -> Outcome {
        let train = try FashionMNIST.load(split: .train, limit: options.trainLimit, directory: options.directory)
        let test = try FashionMNIST.load(split: .test, limit: options.testLimit, directory: options.directory)
        let model = makeModel(generator: WeightGenerator(seed: options.seed))
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: options.learningRate),
                              loss: .sparseCategoricalCrossEntropy(fromLogits: true), metrics: [.accuracy],
                              seed: options.seed)
        let trainBatches = InMemoryBatches(train, batchSize: options.batchSize, shuffle: true, seed: options.seed)
        let testBatches = InMemoryBatches(test, batchSize: 500)
        var allCallbacks = callbacks
        if let logger = progress?(trainBatches.batchCount) {
            logger.setEpochCount(options.epochs)
            allCallbacks.insert(logger, at: 0)
        }
        let history = try trainer.fit(trainBatches, epochs: options.epochs, callbacks: allCallbacks)
        let metrics = try trainer.evaluate(testBatches)
        return Outcome(history: history, testLoss: metrics[.loss] ?? .nan, testAccuracy: metrics[.accuracy] ?? .nan,
                       trainCount: train.count, testCount: test.count)
    }
}
