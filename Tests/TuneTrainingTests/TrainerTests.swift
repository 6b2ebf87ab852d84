import Foundation
import Testing
@testable import FineTune
@testable import TuneTraining

/// A tiny, linearly separable two-class problem.
func makeToyData(count: Int, seed: UInt64) throws -> InMemoryDataset {
    var generator = SeededGenerator(seed: seed)
    var values: [Float] = []
    var labels: [Int] = []
    for index in 0..<count {
        let label = index % 2
        let center: Float = label == 0 ? -1 : 1
        values.append(center + 0.3 * generator.nextNormal())
        values.append(-center + 0.3 * generator.nextNormal())
        labels.append(label)
    }
    return try InMemoryDataset(inputs: Tensor(shape: [count, 2], scalars: values), labels: labels)
}

final class RecordingCallback: Callback {
    var events: [String] = []
    var stopAfterEpoch: Int?

    func trainingDidBegin(_ trainer: Trainer) throws { events.append("begin") }
    func trainingDidEnd(_ trainer: Trainer, history: History) throws { events.append("end") }
    func epochDidBegin(_ epoch: Int, trainer: Trainer) throws { events.append("epoch\(epoch)") }
    func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        events.append("epochEnd\(epoch)")
        if epoch == stopAfterEpoch { trainer.stopTraining = true }
    }
    func batchDidEnd(_ batch: Int, logs: [MetricName: Float], trainer: Trainer) throws { events.append("batch") }
}

@Suite("Trainer")
struct TrainerTests {
    func makeTrainer(seed: UInt64 = 7) -> Trainer {
        let weights = WeightGenerator(seed: seed)
        let model = Sequential {
            Dense(8, inFeatures: 2, activation: .relu, generator: weights)
            Dense(2, inFeatures: 8, generator: weights)
        }
        return Trainer(model: model, optimizer: Adam(learningRate: 0.05),
                       loss: .sparseCategoricalCrossEntropy(fromLogits: true), metrics: [.accuracy], seed: seed)
    }

    @Test("fit learns a separable problem and records loss, accuracy and validation metrics per epoch")
    func fitLearnsAndRecordsHistory() throws {
        let trainer = makeTrainer()
        let data = InMemoryBatches(try makeToyData(count: 128, seed: 1), batchSize: 16, shuffle: true, seed: 3)
        let validation = InMemoryBatches(try makeToyData(count: 64, seed: 2), batchSize: 32)
        let history = try trainer.fit(data, epochs: 5, validation: validation)
        #expect(history.epochs.count == 5)
        #expect(Set(history.metricNames) == ["loss", "accuracy", "val_loss", "val_accuracy"])
        #expect(history.values("val_accuracy").last ?? 0 > 0.95)
        #expect(history.values("loss").last ?? 1 < history.values("loss").first ?? 0)
    }

    @Test("callbacks see every event in order and can stop training")
    func callbacksSeeEventsAndCanStop() throws {
        let trainer = makeTrainer()
        let data = InMemoryBatches(try makeToyData(count: 32, seed: 1), batchSize: 16)
        let recorder = RecordingCallback()
        recorder.stopAfterEpoch = 1
        let history = try trainer.fit(data, epochs: 10, callbacks: [recorder])
        #expect(history.epochs.count == 2)
        #expect(recorder.events == ["begin", "epoch0", "batch", "batch", "epochEnd0", "epoch1", "batch", "batch", "epochEnd1", "end"])
    }

    @Test("an epoch a callback stops after its first batch is still validated, as in Keras")
    func stoppedEpochIsValidated() throws {
        /// Stops training after the first batch and keeps the logs `epochDidEnd` receives.
        final class StopAfterFirstBatch: Callback {
            var batches = 0
            var epochLogs: [[MetricName: Float]] = []
            func batchDidEnd(_ batch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
                batches += 1
                trainer.stopTraining = true
            }
            func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws { epochLogs.append(logs) }
        }
        let trainer = makeTrainer()
        let data = InMemoryBatches(try makeToyData(count: 64, seed: 1), batchSize: 16)
        let validation = InMemoryBatches(try makeToyData(count: 32, seed: 2), batchSize: 16)
        let stopper = StopAfterFirstBatch()
        let history = try trainer.fit(data, epochs: 3, validation: validation, callbacks: [stopper])
        #expect(stopper.batches == 1)
        #expect(history.epochs.count == 1)
        #expect(Set(history.epochs[0].keys) == ["loss", "accuracy", "val_loss", "val_accuracy"])
        #expect(stopper.epochLogs == history.epochs)
        // The validation values are those of the weights after that one step.
        let evaluated = try trainer.evaluate(validation)
        #expect(history.epochs[0]["val_loss"] == evaluated["loss"])
        #expect(history.epochs[0]["val_accuracy"] == evaluated["accuracy"])
    }

    @Test("the same seed gives the same weights after training twice")
    func trainingIsDeterministic() throws {
        func run() throws -> [Float] {
            let trainer = makeTrainer(seed: 11)
            // Initial weights drawn in the test itself, independent of how the layers draw theirs.
            var generator = SeededGenerator(seed: 99)
            for (_, parameter) in trainer.model.namedParameters() {
                try parameter.assign(Tensor.normal(parameter.shape, standardDeviation: 0.5, generator: &generator))
            }
            let data = InMemoryBatches(try makeToyData(count: 64, seed: 1), batchSize: 8, shuffle: true, seed: 5)
            try trainer.fit(data, epochs: 2)
            return trainer.model.namedParameters().flatMap { $0.tensor.scalars }
        }
        #expect(try run() == run())
    }

    @Test("predict returns one row per sample in order and evaluate matches a manual computation")
    func predictAndEvaluate() throws {
        let trainer = makeTrainer()
        let dataset = try makeToyData(count: 10, seed: 4)
        let batches = InMemoryBatches(dataset, batchSize: 4)
        let predictions = try trainer.predict(batches)
        #expect(predictions.shape == [10, 2])
        let direct = try trainer.model(dataset.inputs)
        #expect(predictions.scalars == direct.scalars)
        let metrics = try trainer.evaluate(batches)
        let expectedLoss = try Loss.sparseCategoricalCrossEntropy(fromLogits: true)(direct, Tensor(shape: [10], scalars: dataset.labels.map(Float.init))).scalar()
        #expect(abs((metrics["loss"] ?? 0) - expectedLoss) < 1e-5)
    }

    @Test("a non-finite loss stops training with an error naming the epoch and batch")
    func nonFiniteLossIsReported() throws {
        let trainer = Trainer(model: Dense(2, inFeatures: 2, generator: WeightGenerator(seed: 1)), optimizer: SGD(learningRate: 0.1),
                              loss: .sparseCategoricalCrossEntropy(fromLogits: true))
        let inputs = try Tensor(shape: [2, 2], scalars: [Float.nan, 1, 2, 3])
        let data = InMemoryBatches(try InMemoryDataset(inputs: inputs, labels: [0, 1]), batchSize: 2)
        #expect {
            try trainer.fit(data, epochs: 1)
        } throws: { error in
            print("non-finite loss error: \(error)")
            return "\(error)".contains("epoch 1, batch 1") && "\(error)".contains("non-finite")
        }
    }

    @Test("fit refuses an empty dataset")
    func emptyDatasetIsRefused() throws {
        let trainer = makeTrainer()
        let data = InMemoryBatches(try InMemoryDataset(inputs: Tensor(zeros: [0, 2]), labels: []), batchSize: 4)
        #expect(throws: TrainingError.emptyDataset(name: "training")) { try trainer.fit(data, epochs: 1) }
    }

    @Test("freezing a layer between steps stops its updates without rebuilding the optimizer")
    func freezingTakesEffectAtNextStep() throws {
        let trainer = makeTrainer()
        var batches = try InMemoryBatches(try makeToyData(count: 16, seed: 1), batchSize: 16).makeBatchIterator(epoch: 0)
        let batch = try #require(try batches.next())
        let first = try #require(trainer.model.children.first?.layer)
        try trainer.trainStep(batch)
        first.isTrainable = false
        let frozen = first.namedParameters().flatMap { $0.tensor.scalars }
        try trainer.trainStep(batch)
        #expect(first.namedParameters().flatMap { $0.tensor.scalars } == frozen)
        first.isTrainable = true
        try trainer.trainStep(batch)
        #expect(first.namedParameters().flatMap { $0.tensor.scalars } != frozen)
    }
}

@Suite("Progress display")
struct ProgressLoggerTests {
    @Test("without a terminal it prints one plain line per epoch")
    func plainLinePerEpoch() throws {
        var output = ""
        let logger = ProgressLogger(batchesPerEpoch: 3, interactive: false) { output += $0 }
        logger.setEpochCount(2)
        let trainer = Trainer(model: Dense(2, inFeatures: 2, generator: WeightGenerator(seed: 1)), optimizer: SGD(learningRate: 0.1),
                              loss: .sparseCategoricalCrossEntropy(fromLogits: true))
        let data = InMemoryBatches(try makeToyData(count: 6, seed: 1), batchSize: 2)
        try trainer.fit(data, epochs: 2, callbacks: [logger])
        let lines = output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("Epoch 1/2 - "))
        #expect(lines[1].contains("loss: ") && lines[1].contains("accuracy: "))
        #expect(!output.contains("\r"))
    }

    @Test("on a terminal it draws a Keras-style bar in place")
    func barOnTerminal() throws {
        #expect(ProgressLogger.bar(done: 5, total: 10, width: 10) == " 5/10 [====>.....]")
        #expect(ProgressLogger.bar(done: 10, total: 10, width: 10) == "10/10 [==========]")
        var output = ""
        let logger = ProgressLogger(batchesPerEpoch: 3, interactive: true) { output += $0 }
        let trainer = Trainer(model: Dense(2, inFeatures: 2, generator: WeightGenerator(seed: 1)), optimizer: SGD(learningRate: 0.1),
                              loss: .sparseCategoricalCrossEntropy(fromLogits: true))
        try trainer.fit(InMemoryBatches(try makeToyData(count: 6, seed: 1), batchSize: 2), epochs: 1, callbacks: [logger])
        #expect(output.hasPrefix("Epoch 1/1\n"))
        #expect(output.contains("\r3/3 [==============================]"))
        #expect(output.contains("ms/step"))
    }
}
