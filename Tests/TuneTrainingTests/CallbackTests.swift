import Foundation
import Testing
@testable import FineTune
@testable import TuneTraining

/// A pass-through layer with a buffer that counts training-mode forward passes, so checkpoints and restores of
/// buffers can be checked.
final class StepCounterLayer: Layer {
    let count = Tensor(zeros: [1])

    init() {
        super.init(kind: "StepCounter")
        registerBuffer("count", count)
        markBuilt()
    }

    override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        if context.isTraining { try count.assign(Tensor(shape: [1], scalars: [count.scalars[0] + 1])) }
        return input
    }
}

/// Copies the model's parameters and buffers at the end of every epoch.
final class WeightRecorder: Callback {
    var weights: [Int: [String: [Float]]] = [:]
    func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        weights[epoch] = modelValues(trainer.model)
    }
}

/// Passes events to a ``TerminateOnNaN`` but reports a NaN running loss at one batch, to drive it through `fit`.
final class NaNInjector: Callback {
    let inner: TerminateOnNaN
    let epoch: Int, batch: Int
    var current = 0
    init(_ inner: TerminateOnNaN, epoch: Int, batch: Int) { self.inner = inner; self.epoch = epoch; self.batch = batch }
    func trainingDidBegin(_ trainer: Trainer) throws { try inner.trainingDidBegin(trainer) }
    func epochDidBegin(_ epoch: Int, trainer: Trainer) throws { current = epoch; try inner.epochDidBegin(epoch, trainer: trainer) }
    func batchDidEnd(_ batch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        var logs = logs
        if current == epoch && batch == self.batch { logs["loss"] = .nan }
        try inner.batchDidEnd(batch, logs: logs, trainer: trainer)
    }
}

func modelValues(_ model: Layer) -> [String: [Float]] {
    var result: [String: [Float]] = [:]
    for (path, tensor) in model.namedParameters() + model.namedBuffers() { result[path] = tensor.scalars }
    return result
}

/// Sets every parameter and buffer of `model` to `value`.
func fillModel(_ model: Layer, with value: Float) throws {
    for (_, tensor) in model.namedParameters() + model.namedBuffers() {
        try tensor.assign(Tensor(shape: tensor.shape, scalars: [Float](repeating: value, count: tensor.elementCount)))
    }
}

func makeCallbackTrainer(seed: UInt64 = 7, learningRate: Float = 0.05) -> Trainer {
    let weights = WeightGenerator(seed: seed)
    let model = Sequential {
        Dense(8, inFeatures: 2, activation: .relu, generator: weights)
        StepCounterLayer()
        Dense(2, inFeatures: 8, generator: weights)
    }
    return Trainer(model: model, optimizer: Adam(learningRate: learningRate),
                   loss: .sparseCategoricalCrossEntropy(fromLogits: true), metrics: [.accuracy], seed: seed)
}

func temporaryPath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-callbacks-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
}

@Suite("Callbacks: EarlyStopping")
struct EarlyStoppingTests {
    @Test("stops after `patience` epochs without improvement and restores the best epoch's weights")
    func stopsAfterPatienceAndRestores() throws {
        let trainer = makeCallbackTrainer()
        let stopping = try EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true)
        try stopping.trainingDidBegin(trainer)
        let losses: [Float] = [1.0, 0.5, 0.6, 0.7]
        for (epoch, loss) in losses.enumerated() {
            try fillModel(trainer.model, with: Float(epoch) + 10)
            #expect(!trainer.stopTraining)
            try stopping.epochDidEnd(epoch, logs: ["loss": 0, "val_loss": loss], trainer: trainer)
        }
        #expect(trainer.stopTraining)
        #expect(stopping.stoppedEpoch == 3)
        #expect(stopping.bestEpoch == 1)
        #expect(stopping.bestValue == 0.5)
        for values in modelValues(trainer.model).values { #expect(values.allSatisfy { $0 == 11 }) }
    }

    @Test("minDelta: a smaller change is not an improvement; patience 0 stops at the first non-improving epoch")
    func minDeltaAndZeroPatience() throws {
        let trainer = makeCallbackTrainer()
        let stopping = try EarlyStopping(monitor: "val_accuracy", minDelta: 0.05, patience: 0)
        try stopping.trainingDidBegin(trainer)
        try stopping.epochDidEnd(0, logs: ["val_accuracy": 0.5], trainer: trainer)
        #expect(!trainer.stopTraining)
        try stopping.epochDidEnd(1, logs: ["val_accuracy": 0.6], trainer: trainer)
        #expect(!trainer.stopTraining)
        try stopping.epochDidEnd(2, logs: ["val_accuracy": 0.62], trainer: trainer)
        #expect(trainer.stopTraining)
        #expect(stopping.bestEpoch == 1)
    }

    @Test("in fit it stops after patience and the model ends with the best epoch's parameters and buffers")
    func fitStopsAndRestores() throws {
        let trainer = makeCallbackTrainer()
        let data = InMemoryBatches(try makeToyData(count: 64, seed: 1), batchSize: 16, shuffle: true, seed: 3)
        let recorder = WeightRecorder()
        // The training loss falls every epoch, so in max mode epoch 0 stays the best.
        let stopping = try EarlyStopping(monitor: "loss", patience: 2, mode: .max, restoreBestWeights: true)
        let history = try trainer.fit(data, epochs: 10, callbacks: [recorder, stopping])
        #expect(history.epochs.count == 3)
        #expect(stopping.stoppedEpoch == 2)
        let best = try #require(recorder.weights[0])
        let last = try #require(recorder.weights[2])
        #expect(best != last)
        #expect(modelValues(trainer.model) == best)
        #expect(best["1.count"] == [4])
    }

    @Test("at the end of training it restores the best weights when the best epoch was not the last")
    func restoresAtEnd() throws {
        let trainer = makeCallbackTrainer()
        let data = InMemoryBatches(try makeToyData(count: 64, seed: 1), batchSize: 16, shuffle: true, seed: 3)
        let recorder = WeightRecorder()
        let stopping = try EarlyStopping(monitor: "loss", patience: 10, mode: .max, restoreBestWeights: true)
        let history = try trainer.fit(data, epochs: 3, callbacks: [recorder, stopping])
        #expect(history.epochs.count == 3)
        #expect(stopping.stoppedEpoch == nil)
        #expect(modelValues(trainer.model) == (try #require(recorder.weights[0])))
    }

    @Test("without restoreBestWeights the last weights are kept")
    func keepsLastWeightsByDefault() throws {
        let trainer = makeCallbackTrainer()
        let data = InMemoryBatches(try makeToyData(count: 64, seed: 1), batchSize: 16)
        let recorder = WeightRecorder()
        let stopping = try EarlyStopping(monitor: "loss", patience: 1, mode: .max)
        try trainer.fit(data, epochs: 5, callbacks: [recorder, stopping])
        #expect(stopping.stoppedEpoch == 1)
        #expect(modelValues(trainer.model) == (try #require(recorder.weights[1])))
    }

    @Test("an unknown monitor throws an error listing the available metrics")
    func unknownMonitor() throws {
        let trainer = makeCallbackTrainer()
        let data = InMemoryBatches(try makeToyData(count: 16, seed: 1), batchSize: 16)
        let stopping = try EarlyStopping()
        #expect(throws: CallbackError.unknownMetric(callback: "EarlyStopping", monitor: "val_loss", available: ["loss", "accuracy"])) {
            try trainer.fit(data, epochs: 2, callbacks: [stopping])
        }
        let error = CallbackError.unknownMetric(callback: "EarlyStopping", monitor: "val_loss", available: ["loss", "accuracy"])
        #expect("\(error)".contains("\"val_loss\"") && "\(error)".contains("available metrics: loss, accuracy"))
        #expect(throws: CallbackError.self) { try EarlyStopping(patience: -1) }
    }
}

@Suite("Callbacks: TerminateOnNaN")
struct TerminateOnNaNTests {
    @Test("a NaN or infinite loss in the batch logs stops training with a message naming epoch and batch")
    func stopsOnNonFiniteLoss() throws {
        let trainer = makeCallbackTrainer()
        var reported: [String] = []
        let terminate = TerminateOnNaN { reported.append($0) }
        try terminate.trainingDidBegin(trainer)
        try terminate.epochDidBegin(2, trainer: trainer)
        try terminate.batchDidEnd(3, logs: ["loss": 0.5], trainer: trainer)
        #expect(!trainer.stopTraining && terminate.message == nil)
        try terminate.batchDidEnd(4, logs: ["loss": .infinity], trainer: trainer)
        #expect(trainer.stopTraining)
        #expect(terminate.terminatedAt?.epoch == 2 && terminate.terminatedAt?.batch == 4)
        let message = try #require(terminate.message)
        #expect(message.contains("epoch 3, batch 5") && message.contains("inf"))
        #expect(reported == [message])
    }

    @Test("in fit it ends training cleanly after the batch: no error, trainingDidEnd runs, history keeps the epoch")
    func stopsFitCleanly() throws {
        let trainer = makeCallbackTrainer()
        let data = InMemoryBatches(try makeToyData(count: 64, seed: 1), batchSize: 16)
        let terminate = TerminateOnNaN { _ in }
        let recorder = RecordingCallback()
        let history = try trainer.fit(data, epochs: 5, callbacks: [NaNInjector(terminate, epoch: 1, batch: 1), recorder])
        #expect(history.epochs.count == 2)
        #expect(recorder.events.last == "end")
        #expect(recorder.events.filter { $0 == "batch" }.count == 6)
        #expect(terminate.message?.contains("epoch 2, batch 2") == true)
    }

    @Test("non-finite values inside a training step are refused by the trainer itself, with an error naming the batch")
    func trainerRefusesNaNLoss() throws {
        let trainer = Trainer(model: Dense(2, inFeatures: 2, generator: WeightGenerator(seed: 1)), optimizer: SGD(learningRate: 0.1),
                              loss: .sparseCategoricalCrossEntropy(fromLogits: true))
        let inputs = try Tensor(shape: [2, 2], scalars: [Float.nan, 1, 2, 3])
        let data = InMemoryBatches(try InMemoryDataset(inputs: inputs, labels: [0, 1]), batchSize: 2)
        let terminate = TerminateOnNaN { _ in }
        #expect {
            try trainer.fit(data, epochs: 1, callbacks: [terminate])
        } throws: { error in
            guard let error = error as? TrainingError else { return false }
            switch error {
            case .nonFiniteLoss(epoch: 0, batch: 0, value: _): return true
            case .nonFiniteValues(epoch: 0, batch: 0, reason: let reason): return reason.contains("non-finite")
            default: return false
            }
        }
    }
}

@Suite("Callbacks: ReduceLROnPlateau")
struct ReduceLROnPlateauTests {
    @Test("reduces the learning rate after a plateau, honours cooldown and the floor")
    func reducesOnPlateau() throws {
        let trainer = makeCallbackTrainer(learningRate: 0.1)
        let reduce = try ReduceLROnPlateau(monitor: "val_loss", factor: 0.5, patience: 2, minDelta: 0, cooldown: 1,
                                           minLearningRate: 0.02)
        try reduce.trainingDidBegin(trainer)
        let losses: [Float] = [1.0, 0.9, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]
        var rates: [Float] = []
        for (epoch, loss) in losses.enumerated() {
            try reduce.epochDidEnd(epoch, logs: ["val_loss": loss], trainer: trainer)
            rates.append(trainer.optimizer.learningRate)
        }
        let expected: [Float] = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]
        #expect(rates.count == expected.count)
        for (rate, want) in zip(rates, expected) { #expect(abs(rate - want) < 1e-7, "rates \(rates)") }
        #expect(reduce.reductions.map(\.epoch) == [3, 6, 8])
    }

    @Test("minDelta decides what counts as an improvement; accuracy is maximised in auto mode")
    func minDeltaAndAutoMode() throws {
        let trainer = makeCallbackTrainer(learningRate: 1)
        let reduce = try ReduceLROnPlateau(monitor: "val_accuracy", factor: 0.1, patience: 1, minDelta: 0.01)
        try reduce.trainingDidBegin(trainer)
        try reduce.epochDidEnd(0, logs: ["val_accuracy": 0.5], trainer: trainer)
        try reduce.epochDidEnd(1, logs: ["val_accuracy": 0.6], trainer: trainer)
        #expect(trainer.optimizer.learningRate == 1)
        try reduce.epochDidEnd(2, logs: ["val_accuracy": 0.605], trainer: trainer)
        #expect(abs(trainer.optimizer.learningRate - 0.1) < 1e-7)
    }

    @Test("bad arguments and unknown metrics throw errors naming the callback")
    func errors() throws {
        #expect(throws: CallbackError.invalidArgument(callback: "ReduceLROnPlateau", name: "factor", message: "must be in (0, 1), got 1.0")) {
            try ReduceLROnPlateau(factor: 1)
        }
        let trainer = makeCallbackTrainer()
        let reduce = try ReduceLROnPlateau(monitor: "val_los")
        #expect(throws: CallbackError.unknownMetric(callback: "ReduceLROnPlateau", monitor: "val_los", available: ["loss", "val_loss"])) {
            try reduce.epochDidEnd(0, logs: ["loss": 1, "val_loss": 1], trainer: trainer)
        }
    }
}

@Suite("Callbacks: CSVLogger")
struct CSVLoggerTests {
    @Test("writes a sorted header and one row per epoch, each row on disk when the epoch ends; append continues")
    func writesRows() throws {
        let path = temporaryPath("log.csv")
        let trainer = makeCallbackTrainer()
        let data = InMemoryBatches(try makeToyData(count: 32, seed: 1), batchSize: 16)
        let validation = InMemoryBatches(try makeToyData(count: 16, seed: 2), batchSize: 16)
        final class LineCounter: Callback {
            let path: String
            var counts: [Int] = []
            init(path: String) { self.path = path }
            func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
                counts.append(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count)
            }
        }
        let counter = LineCounter(path: path)
        let history = try trainer.fit(data, epochs: 3, validation: validation, callbacks: [CSVLogger(path: path), counter])
        #expect(counter.counts == [2, 3, 4])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.first == "epoch,accuracy,loss,val_accuracy,val_loss")
        for (epoch, logs) in history.epochs.enumerated() {
            let values = ["accuracy", "loss", "val_accuracy", "val_loss"].map { logs[$0].map { "\($0)" } ?? "missing" }
            #expect(lines[epoch + 1] == (["\(epoch)"] + values).joined(separator: ","))
        }

        try trainer.fit(data, epochs: 5, validation: validation, callbacks: [CSVLogger(path: path, append: true)], initialEpoch: 3)
        let appended = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(appended.count == 6)
        #expect(appended.filter { $0.hasPrefix("epoch") }.count == 1)
        #expect(appended[4].hasPrefix("3,") && appended[5].hasPrefix("4,"))

        // Without append the file is replaced; a metric missing from an epoch is written as NA.
        let logger = CSVLogger(path: path)
        try logger.trainingDidBegin(trainer)
        try logger.epochDidEnd(0, logs: ["loss": 0.5, "val_loss": 0.25], trainer: trainer)
        try logger.epochDidEnd(1, logs: ["loss": 0.125], trainer: trainer)
        try logger.trainingDidEnd(trainer, history: History())
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "epoch,loss,val_loss\n0,0.5,0.25\n1,0.125,NA\n")
    }

    @Test("an unwritable path throws an error naming the file")
    func unwritablePath() throws {
        let trainer = makeCallbackTrainer()
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("missing-\(UUID().uuidString)").appendingPathComponent("log.csv").path
        let logger = CSVLogger(path: path)
        #expect { try logger.trainingDidBegin(trainer) } throws: { error in
            "\(error)".contains("CSVLogger") && "\(error)".contains(path)
        }
    }
}

@Suite("Callbacks: ModelCheckpoint")
struct ModelCheckpointTests {
    @Test("writes the state dictionary only when the monitored metric improves, with epoch and value metadata")
    func savesOnImprovement() throws {
        let path = temporaryPath("best.safetensors")
        let trainer = makeCallbackTrainer()
        let checkpoint = ModelCheckpoint(path: path)
        try checkpoint.trainingDidBegin(trainer)
        let losses: [Float] = [1.0, 0.8, 0.9, 0.7, 0.75]
        var expectedFile: [String: [Float]] = [:]
        for (epoch, loss) in losses.enumerated() {
            try fillModel(trainer.model, with: Float(epoch) + 0.5)
            try checkpoint.epochDidEnd(epoch, logs: ["loss": 2, "val_loss": loss], trainer: trainer)
            if [0, 1, 3].contains(epoch) { expectedFile = modelValues(trainer.model) }
            let state = try Safetensors.read(path: path)
            #expect(Set(state.names) == Set(expectedFile.keys))
            for (name, tensor) in state.pairs { #expect(tensor.scalars == expectedFile[name], "epoch \(epoch) \(name)") }
        }
        #expect(checkpoint.saved.map(\.epoch) == [0, 1, 3])
        #expect(checkpoint.bestValue == 0.7)
        let metadata = try Safetensors.metadata(path: path)
        #expect(metadata["epoch"] == "4")
        #expect(metadata["val_loss"] == "0.7")
        #expect(metadata["monitor"] == "val_loss")
        // No temporary file is left beside the checkpoint.
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["best.safetensors"])
    }

    @Test("in fit the file matches the model's parameters and buffers (shapes and values)")
    func fitCheckpointMatchesModel() throws {
        let pattern = temporaryPath("epoch-{epoch}.safetensors")
        let trainer = makeCallbackTrainer()
        let data = InMemoryBatches(try makeToyData(count: 32, seed: 1), batchSize: 16)
        let validation = InMemoryBatches(try makeToyData(count: 16, seed: 2), batchSize: 16)
        let checkpoint = ModelCheckpoint(path: pattern, saveBestOnly: false)
        try trainer.fit(data, epochs: 2, validation: validation, callbacks: [checkpoint])
        #expect(checkpoint.saved.map(\.epoch) == [0, 1])
        let last = try #require(checkpoint.saved.last?.path)
        #expect(last.hasSuffix("epoch-2.safetensors"))
        let state = try Safetensors.read(path: last)
        let live = trainer.model.namedParameters() + trainer.model.namedBuffers()
        #expect(state.count == live.count)
        for (path, tensor) in live {
            let stored = try #require(state[path])
            #expect(stored.shape == tensor.shape)
            #expect(stored.scalars == tensor.scalars)
        }
        #expect(state["1.count"]?.scalars == [4])
        #expect(try Safetensors.metadata(path: last)["val_loss"] == trainer.history.epochs[1]["val_loss"].map { "\($0)" })
    }

    @Test("saveBestOnly with an unknown monitor throws an error listing the metrics")
    func unknownMonitor() throws {
        let trainer = makeCallbackTrainer()
        let checkpoint = ModelCheckpoint(path: temporaryPath("x.safetensors"))
        #expect(throws: CallbackError.unknownMetric(callback: "ModelCheckpoint", monitor: "val_loss", available: ["loss"])) {
            try checkpoint.epochDidEnd(0, logs: ["loss": 1], trainer: trainer)
        }
    }
}
