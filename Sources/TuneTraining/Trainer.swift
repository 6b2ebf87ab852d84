import Foundation
import TuneCore
import TuneData
import TuneNN

/// Trains, evaluates and runs a model: the loop Keras's `fit`, `evaluate` and `predict` provide.
///
/// Each training step: clear gradients → forward in training mode → loss → backward → optimizer step over the
/// parameters that are trainable *now* → update metrics. Validation runs in inference mode without a tape.
public final class Trainer {
    /// The model being trained.
    public let model: Layer
    /// Updates the model's trainable parameters; swap it or change its learning rate between phases.
    public var optimizer: any Optimizer
    /// The objective.
    public var loss: Loss
    /// The metrics reported besides the loss.
    public var metrics: [TrainingMetric]
    /// Seeds dropout and other stochastic layers, per step.
    public var seed: UInt64
    /// Set by a callback to end ``fit(_:epochs:validation:callbacks:)`` after the current batch.
    public var stopTraining = false
    /// The history of the last `fit`.
    public private(set) var history = History()
    /// Optimizer steps taken so far, across `fit` calls; it seeds dropout per step, so set it when resuming a run.
    public var globalStep = 0
    /// Whether a training step runs as slices of the batch, one per compute thread (``ComputeThreads/laneCount``),
    /// each taken through the whole model by one thread; BatchNorm combines its statistics across the slices, so the
    /// step computes what one pass over the whole batch does (up to rounding; Dropout draws differently). A model with
    /// state of its own beyond BatchNorm's (``Layer/keepsUnsharedState``) always steps on whole batches. Turn it off
    /// for a model with a layer of its own that mixes the samples of a batch in another way.
    public var splitsBatchIntoLanes = true

    public init(model: Layer, optimizer: any Optimizer, loss: Loss, metrics: [TrainingMetric] = [.accuracy], seed: UInt64 = 0) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.seed = seed
    }

    /// Trains for `epochs` epochs, validating after each when `validation` is given.
    ///
    /// `initialEpoch` resumes the epoch count (and the per-epoch shuffle) of an earlier run.
    ///
    /// Non-finite values: a step whose predictions or loss are NaN or infinite throws before the optimizer step
    /// (``TrainingError/nonFiniteValues(epoch:batch:reason:)`` from the loss, or ``TrainingError/nonFiniteLoss(epoch:batch:value:)``),
    /// naming the epoch and batch; the weights keep their last finite values and `trainingDidEnd` is not called.
    /// ``TerminateOnNaN`` instead stops cleanly (no error) when a non-finite `loss` reaches the batch logs.
    @discardableResult
    public func fit(_ training: some BatchSource, epochs: Int, validation: (any BatchSource)? = nil,
                    callbacks: [any Callback] = [], initialEpoch: Int = 0) throws -> History {
        guard epochs > initialEpoch else {
            throw TrainingError.invalidArgument(name: "epochs", message: "epochs (\(epochs)) must exceed initialEpoch (\(initialEpoch))")
        }
        guard training.batchCount > 0 else { throw TrainingError.emptyDataset(name: "training") }
        ComputeThreads.flushDenormalsOnCurrentThread()
        stopTraining = false
        history = History()
        for callback in callbacks { try callback.trainingDidBegin(self) }
        for epoch in initialEpoch..<epochs {
            for callback in callbacks { try callback.epochDidBegin(epoch, trainer: self) }
            var logs = try trainEpoch(training, epoch: epoch, callbacks: callbacks)
            // As in Keras, an epoch a callback cut short (`stopTraining` set during it) is still validated: it
            // trained at least one batch, and its logs, the history and the callbacks' `epochDidEnd` (early
            // stopping, checkpoints monitoring `val_loss`) see the same keys as for every other epoch.
            if let validation {
                for (name, value) in try evaluate(validation) { logs[name.validation] = value }
            }
            history.epochs.append(logs)
            for callback in callbacks { try callback.epochDidEnd(epoch, logs: logs, trainer: self) }
            if stopTraining { break }
        }
        for callback in callbacks { try callback.trainingDidEnd(self, history: history) }
        return history
    }

    private func trainEpoch(_ training: some BatchSource, epoch: Int, callbacks: [any Callback]) throws -> [MetricName: Float] {
        let lossMean = MeanMetric(name: .loss)
        let trackers = try metrics.map { try $0.make(for: loss) }
        var batches = try training.makeBatchIterator(epoch: epoch)
        var index = 0
        while let batch = try batches.next() {
            defer { index += 1 }
            for callback in callbacks { try callback.batchDidBegin(index, trainer: self) }
            let value = try trainStep(batch, epoch: epoch, index: index, trackers: trackers)
            lossMean.update(value: value, count: batch.count)
            var logs: [MetricName: Float] = [.loss: lossMean.result]
            for tracker in trackers { logs[tracker.name] = tracker.result }
            for callback in callbacks { try callback.batchDidEnd(index, logs: logs, trainer: self) }
            if stopTraining { break }
        }
        var logs: [MetricName: Float] = [.loss: lossMean.result]
        for tracker in trackers { logs[tracker.name] = tracker.result }
        return logs
    }

    /// One optimizer step on one batch; returns the batch loss.
    @discardableResult
    public func trainStep(_ batch: Batch, epoch: Int = 0, index: Int = 0, trackers: [any Metric] = []) throws -> Float {
        guard batch.count > 0 else { throw TrainingError.emptyBatch(epoch: epoch, batch: index) }
        guard let targets = batch.targets else { throw TrainingError.missingTargets(epoch: epoch, batch: index) }
        model.zeroGradients()
        let stepSeed = seed &+ UInt64(globalStep) &* 0x9E37_79B9
        let laneCount = splitsBatchIntoLanes ? min(ComputeThreads.laneCount, batch.count) : 1
        let lanes = laneCount > 1 && !model.keepsUnsharedState ? laneCount : 1
        let predictions: Tensor, lossTensor: Tensor, laneStep: LaneStep?
        do {
            if lanes > 1 {
                let step = try LaneStep(model: model, inputs: batch.inputs, lanes: lanes, seed: stepSeed)
                laneStep = step
                predictions = step.predictions
            } else {
                laneStep = nil
                predictions = try model(batch.inputs, context: ForwardContext(isTraining: true, seed: stepSeed))
            }
            lossTensor = try loss(predictions, targets)
        } catch let error as LossError where error.isNonFinite {
            throw TrainingError.nonFiniteValues(epoch: epoch, batch: index, reason: "\(error)")
        } catch let error as TensorError where error.isNonFinite {
            throw TrainingError.nonFiniteValues(epoch: epoch, batch: index, reason: "\(error)")
        } catch {
            throw TrainingError.stepFailed(epoch: epoch, batch: index, reason: "\(error)")
        }
        let value = try lossTensor.scalar()
        guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, batch: index, value: value) }
        if lossTensor.requiresGradient {
            try lossTensor.backward()
            try laneStep?.backward()
        }
        try optimizer.step(model)
        globalStep += 1
        let detached = predictions.detached()
        for tracker in trackers { try tracker.update(predictions: detached, targets: targets) }
        return value
    }

    /// The mean loss and metrics over `data`, in inference mode and without a tape.
    public func evaluate(_ data: some BatchSource) throws -> [MetricName: Float] {
        let lossMean = MeanMetric(name: .loss)
        let trackers = try metrics.map { try $0.make(for: loss) }
        try withoutGradient {
            var batches = try data.makeBatchIterator(epoch: 0)
            var index = 0
            while let batch = try batches.next() {
                defer { index += 1 }
                guard batch.count > 0 else { throw TrainingError.emptyBatch(epoch: 0, batch: index) }
                guard let targets = batch.targets else { throw TrainingError.missingTargets(epoch: 0, batch: index) }
                let predictions = try model(batch.inputs, context: .inference)
                lossMean.update(value: try loss(predictions, targets).scalar(), count: batch.count)
                for tracker in trackers { try tracker.update(predictions: predictions, targets: targets) }
            }
        }
        guard lossMean.count > 0 else { throw TrainingError.emptyDataset(name: "evaluation") }
        var logs: [MetricName: Float] = [.loss: lossMean.result]
        for tracker in trackers { logs[tracker.name] = tracker.result }
        return logs
    }

    /// The model's outputs for every batch of `data`, in order, concatenated along the batch axis.
    public func predict(_ data: some BatchSource) throws -> Tensor {
        try withoutGradient {
            var batches = try data.makeBatchIterator(epoch: 0)
            var outputs: [Tensor] = []
            while let batch = try batches.next() { outputs.append(try model(batch.inputs, context: .inference)) }
            guard !outputs.isEmpty else { throw TrainingError.emptyDataset(name: "prediction") }
            return try Tensor.concatenate(outputs, axis: 0)
        }
    }
}

/// Errors from training, naming where they happened.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case nonFiniteLoss(epoch: Int, batch: Int, value: Float)
    /// NaN or infinity reached the predictions or the loss's inputs inside a step (`reason` names the op).
    case nonFiniteValues(epoch: Int, batch: Int, reason: String)
    case emptyBatch(epoch: Int, batch: Int)
    case emptyDataset(name: String)
    case invalidArgument(name: String, message: String)
    case stepFailed(epoch: Int, batch: Int, reason: String)
    case missingTargets(epoch: Int, batch: Int)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, batch, value):
            return "training: the loss became \(value) at epoch \(epoch + 1), batch \(batch + 1)"
        case let .emptyBatch(epoch, batch):
            return "training: batch \(batch + 1) of epoch \(epoch + 1) is empty"
        case let .emptyDataset(name):
            return "training: the \(name) data has no batches"
        case let .invalidArgument(name, message):
            return "training: \(name): \(message)"
        case let .missingTargets(epoch, batch):
            return "training: batch \(batch + 1) of epoch \(epoch + 1) has no labels (label mode none); training and evaluation need labels"
        case let .stepFailed(epoch, batch, reason), let .nonFiniteValues(epoch, batch, reason):
            return "training: epoch \(epoch + 1), batch \(batch + 1): \(reason)"
        }
    }

    /// Whether the error reports a NaN or infinite loss or prediction.
    public var isNonFinite: Bool {
        switch self {
        case .nonFiniteLoss, .nonFiniteValues: return true
        case .emptyBatch, .emptyDataset, .invalidArgument, .stepFailed, .missingTargets: return false
        }
    }
}

extension LossError {
    /// Whether a prediction or target held NaN or infinity.
    var isNonFinite: Bool {
        if case .nonFinite = self { return true }
        return false
    }
}

extension TensorError {
    /// Whether an op met NaN or infinity.
    var isNonFinite: Bool {
        if case .nonFinite = self { return true }
        return false
    }
}
