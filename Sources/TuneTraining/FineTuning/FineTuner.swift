import Foundation
import TuneCore
import TuneData
import TuneFormats
import TuneModels
import TuneNN

/// What a finished fine-tuning run produced.
public struct FineTuneResult {
    /// The run folder (config.json, model.safetensors, history.csv, report.html).
    public let folder: RunFolder
    /// Every epoch of both phases.
    public let history: [EpochRecord]
    /// The final model on the validation images.
    public let evaluation: ClassificationReport
    /// Wall time of the whole run in this process, including data scanning and caching.
    public let seconds: Double
}

/// Runs the Keras fine-tuning guide's recipe on an image folder and writes a self-describing run folder:
///
/// 1. check the setup and print it; 2. phase 1: train a new head on the frozen base; 3. phase 2: unfreeze the last
/// blocks and train on at a lower rate; 4. evaluate on the validation images; 5. write `config.json`,
/// `model.safetensors`, `history.csv` and `report.html`.
///
/// When everything before the first trainable stage is frozen and deterministic (no augmentation, BatchNorm in
/// inference mode, no dropout), that prefix's outputs are computed once per image — in memory within
/// ``FineTuneRecipe/featureCacheMemoryMiB``, else as Float16 under `RUN/cache` — and both phases train only the
/// rest. After every epoch an atomic checkpoint lets ``resuming(folder:)`` continue a killed run so that it ends
/// with the same weights as an uninterrupted one (same seed and thread count).
public final class FineTuner {
    public let recipe: FineTuneRecipe
    /// The data folder (`train/` + `validation/`, or class folders with ``FineTuneRecipe/validationSplit``).
    public let dataRoot: String
    public let folder: RunFolder
    /// Receives every line of progress and the setup check; defaults to standard output.
    public var log: (String) -> Void = { print($0); fflush(nil) }
    /// Whether to draw a live progress bar (`nil`: when standard output is a terminal).
    public var interactiveProgress: Bool?
    /// Called after every finished (and checkpointed) epoch, e.g. to time how long a run takes to reach a score.
    public var epochDidEnd: ((EpochRecord) -> Void)?
    private let checkpoint: RunCheckpoint?

    /// A new run of `recipe` on `dataRoot`, written to `runFolder` (which must not hold another run).
    public init(recipe: FineTuneRecipe, dataRoot: String, runFolder: String) {
        self.recipe = recipe
        self.dataRoot = dataRoot
        folder = RunFolder(path: runFolder)
        checkpoint = nil
    }

    private init(checkpoint: RunCheckpoint, folder: RunFolder) {
        recipe = checkpoint.recipe
        dataRoot = checkpoint.dataRoot
        self.folder = folder
        self.checkpoint = checkpoint
    }

    /// Continues the interrupted run in `folder` from its last finished epoch, with its own recipe and data.
    public static func resuming(folder path: String) throws -> FineTuner {
        let folder = RunFolder(path: path)
        guard folder.exists(folder.checkpointPath) else {
            let finished = folder.exists(folder.configurationPath) ? " (the run there has finished)" : ""
            throw FineTuneError.runFolder(path: path, message: "no checkpoint to resume from\(finished)")
        }
        return FineTuner(checkpoint: try RunCheckpoint.read(path: folder.checkpointPath), folder: folder)
    }

    /// Runs (or resumes) the recipe to the end.
    @discardableResult
    public func run() throws -> FineTuneResult {
        let start = Date()
        if checkpoint == nil {
            for existing in [folder.checkpointPath, folder.configurationPath] where folder.exists(existing) {
                throw FineTuneError.runFolder(path: folder.path,
                                              message: "already holds a run (\((existing as NSString).lastPathComponent)); resume it with --resume or choose another --out")
            }
        }
        try folder.create()
        if let threads = recipe.threads { ComputeThreads.set(threads) }
        let setup = try FineTuneSetup(recipe: recipe, dataRoot: dataRoot)
        var progress = RunProgress(completedEpochs: 0, globalStep: 0, optimizerIterations: 0,
                                   learningRate: recipe.learningRate, history: [])
        if let checkpoint {
            try setup.model.load(checkpoint.modelState, strict: true)
            progress = checkpoint.progress
            log("Resuming \(folder.path) after epoch \(progress.completedEpochs) of \(recipe.totalEpochs)")
        }
        let duplicates = try DatasetInspection.duplicates(between: setup.training, and: setup.validation).count
        log(setup.setupCheck(duplicates: duplicates))

        let remaining = setup.phases.filter { $0.epochs.upperBound > progress.completedEpochs }
        let prefixes = remaining.map { setup.cacheableStageCount(phase: $0.phase) }
        var caches = try buildCaches(setup, at: prefixes.min() ?? 0)
        defer { caches.forEach { $0.discard() } }
        var final: (model: Layer, validation: any BatchSource) = (setup.model, try setup.loader(training: false))
        for ((phase, epochs), prefix) in zip(remaining, prefixes) {
            setup.configure(phase: phase)
            let (training, validation, trainedModel) = try sources(setup, prefix: prefix, caches: &caches)
            progress = try train(setup, phase: phase, epochs: epochs, training: training, validation: validation,
                                 model: trainedModel, progress: progress)
            final = (trainedModel, validation)
            // Caches made for this phase alone are not needed by the next one.
            if phase != remaining.last?.phase, caches.count > 2 {
                let (kept, done) = (Array(caches.prefix(2)), caches[2...].filter { $0.stage == prefix })
                done.forEach { $0.discard() }
                caches = kept + caches[2...].filter { $0.stage != prefix }
            }
        }
        let evaluation = try RunOutputs(setup: setup, folder: folder, history: progress.history)
            .write(model: final.model, validation: final.validation, seconds: Date().timeIntervalSince(start)
                   + (checkpoint?.progress.history.reduce(0) { $0 + $1.seconds } ?? 0))
        try? FileManager.default.removeItem(atPath: folder.checkpointPath)
        try? FileManager.default.removeItem(atPath: folder.cachePath)
        let seconds = Date().timeIntervalSince(start)
        log(String(format: "Validation accuracy: %.2f%% on %d images (%@ training, %.0f s in this process)",
                   evaluation.accuracy * 100, setup.validation.count, "\(recipe.totalEpochs) epochs", seconds))
        log("Run folder: \(folder.path) (model.safetensors, config.json, history.csv)")
        log("Report: \(folder.reportPath)")
        return FineTuneResult(folder: folder, history: progress.history, evaluation: evaluation, seconds: seconds)
    }

    /// Training and validation caches of the first `prefix` stages, or none when nothing can be cached.
    private func buildCaches(_ setup: FineTuneSetup, at prefix: Int) throws -> [FeatureCache] {
        guard prefix > 0 else {
            if recipe.featureCache == .auto && recipe.augmentation.isEnabled { log("Feature cache: off (augmentation changes every epoch's inputs)") }
            return []
        }
        let started = Date()
        let budget = recipe.featureCacheMemoryMiB << 20
        let stages = setup.model.stages
        let training = try FeatureCache.build(folder: setup.training, preprocessing: setup.preprocessing, stages: stages,
                                              stage: prefix, batchSize: 64, memoryBudget: budget,
                                              spillPath: (folder.cachePath as NSString).appendingPathComponent("train-\(prefix).f16"))
        let validation = try FeatureCache.build(folder: setup.validation, preprocessing: setup.preprocessing, stages: stages,
                                                stage: prefix, batchSize: 64, memoryBudget: max(budget - training.byteCount, 0),
                                                spillPath: (folder.cachePath as NSString).appendingPathComponent("validation-\(prefix).f16"))
        let place = training.isOnDisk || validation.isOnDisk ? "Float16 files under \(folder.cachePath)" : "memory"
        log(String(format: "Feature cache: %d + %d images through %@…%@ (%@ per image) in %.1f s, %.0f MiB in %@",
                   training.count, validation.count, stages[0].name, stages[prefix - 1].name,
                   training.rowShape.map(String.init).joined(separator: "×"), Date().timeIntervalSince(started),
                   Double(training.byteCount + validation.byteCount) / 1_048_576, place))
        return [training, validation]
    }

    /// The data and the model to train for a phase whose first `prefix` stages are frozen: cached features and the
    /// stage suffix when a cache reaches that far, else images and the whole model.
    private func sources(_ setup: FineTuneSetup, prefix: Int, caches: inout [FeatureCache])
        throws -> (any BatchSource, any BatchSource, Layer) {
        guard prefix > 0, caches.count >= 2, caches[0].stage <= prefix else {
            return (try setup.loader(training: true), try setup.loader(training: false), setup.model)
        }
        if !caches.contains(where: { $0.stage == prefix }) {
            let budget = recipe.featureCacheMemoryMiB << 20
            // The first two caches (training, validation) start nearest the input; later phases reuse them.
            caches += try caches.prefix(2).enumerated().map { index, cache in
                try cache.advanced(through: setup.model.stages, to: prefix, batchSize: 64, memoryBudget: budget,
                                   spillPath: (folder.cachePath as NSString).appendingPathComponent("stage\(prefix)-\(index).f16"))
            }
        }
        let pair = caches.filter { $0.stage == prefix }
        guard pair.count == 2 else {
            return (try setup.loader(training: true), try setup.loader(training: false), setup.model)
        }
        let classCount = setup.training.classNames.count
        let training = CachedBatches(cache: pair[0], batchSize: recipe.batchSize, shuffle: true, seed: recipe.seed,
                                     labelMode: setup.labelMode, classCount: classCount)
        let validation = CachedBatches(cache: pair[1], batchSize: recipe.batchSize, shuffle: false, seed: recipe.seed,
                                       labelMode: setup.labelMode, classCount: classCount)
        return (training, validation, StageSuffix(stages: setup.model.stages, from: prefix))
    }

    /// Runs one phase from `progress` to the end of `epochs`, checkpointing after every epoch.
    private func train(_ setup: FineTuneSetup, phase: Int, epochs: Range<Int>, training: any BatchSource,
                       validation: any BatchSource, model trainedModel: Layer, progress: RunProgress) throws -> RunProgress {
        let optimizer = setup.makeOptimizer(phase: phase)
        let firstEpoch = max(epochs.lowerBound, progress.completedEpochs)
        if let checkpoint, firstEpoch > epochs.lowerBound, firstEpoch == checkpoint.progress.completedEpochs {
            try optimizer.restoreState(checkpoint.optimizerState, iterations: progress.optimizerIterations, for: setup.model)
            optimizer.learningRate = progress.learningRate
        }
        let trainer = Trainer(model: trainedModel, optimizer: optimizer, loss: setup.loss, metrics: [.accuracy], seed: recipe.seed)
        trainer.globalStep = progress.globalStep
        let recorder = EpochRecorder(progress: progress, phase: phase, phaseEnd: epochs.upperBound, folder: folder,
                                     recipe: recipe, dataRoot: dataRoot, model: setup.model, optimizer: optimizer,
                                     observer: epochDidEnd)
        let logger = ProgressLogger(batchesPerEpoch: training.batchCount, interactive: interactiveProgress) { [log] text in
            log(text.hasSuffix("\n") ? String(text.dropLast()) : text)
        }
        logger.setEpochCount(recipe.totalEpochs)
        var callbacks: [any Callback] = []
        if let patience = recipe.earlyStoppingPatience {
            callbacks.append(try EarlyStopping(monitor: "val_loss", patience: patience, restoreBestWeights: true))
        }
        callbacks += [recorder, logger]
        log("Phase \(phase): \(phase == 1 ? "training the new head" : "fine-tuning (unfreeze \(recipe.unfreeze))") — "
            + "epochs \(firstEpoch + 1)–\(epochs.upperBound), \(setup.model.parameterCount(trainableOnly: true).formatted()) trainable parameters, "
            + "lr \(String(format: "%g", optimizer.learningRate))\(training is CachedBatches ? ", from cached features" : "")")
        do {
            try trainer.fit(training, epochs: epochs.upperBound, validation: validation, callbacks: callbacks,
                            initialEpoch: firstEpoch)
        } catch let error as TrainingError where error.isNonFinite {
            let kept = folder.exists(folder.checkpointPath) ? folder.checkpointPath : nil
            throw FineTuneError.nonFiniteLoss(message: "\(error)", checkpoint: kept)
        }
        return recorder.progress
    }
}

extension TrainingError {
    /// Whether the error reports a NaN or infinite loss or prediction.
    var isNonFinite: Bool {
        switch self {
        case .nonFiniteLoss: return true
        case .stepFailed(_, _, let reason): return reason.contains("non-finite")
        default: return false
        }
    }
}
