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
    /// The final model on the validation data, for classification tasks.
    public let evaluation: ClassificationReport?
    /// Wall time of the whole run in this process, including data scanning and caching.
    public let seconds: Double
}

/// Runs the Keras fine-tuning guide's recipe and writes a self-describing run folder:
///
/// 1. check the setup and print it; 2. phase 1: train a new head on the frozen base; 3. phase 2: unfreeze the last
/// blocks and train on at a lower rate; 4. evaluate on the validation data; 5. write `config.json`,
/// `model.safetensors`, `history.csv` and `report.html`.
///
/// What is learned from which data is the task's (``FineTuneRecipe/task``); everything else is here. When everything
/// before the first trainable stage is frozen and deterministic (no augmentation, BatchNorm in inference mode, no
/// dropout), that prefix's outputs are computed once per sample — in memory within
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

    /// The task the recipe names, set up on `dataRoot`.
    private func makeTask() throws -> any FineTuneTask {
        switch recipe.task {
        case .imageClassification(let options):
            return try ImageClassificationTask(recipe: recipe, options: options, dataRoot: dataRoot)
        case .textClassification(let options):
            return try TextClassificationTask(recipe: recipe, options: options, dataRoot: dataRoot)
        }
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
        try recipe.validate()
        try folder.create()
        if let threads = recipe.threads { ComputeThreads.set(threads) }
        ComputeThreads.resetUsage()
        let task = try makeTask()
        var progress = RunProgress(completedEpochs: 0, globalStep: 0, optimizerIterations: 0,
                                   learningRate: recipe.learningRate, history: [])
        if let checkpoint {
            try task.model.load(checkpoint.modelState, strict: true)
            progress = checkpoint.progress
            log("Resuming \(folder.path) after epoch \(progress.completedEpochs) of \(recipe.totalEpochs)")
        }
        log(SetupCheck(recipe: recipe, task: task).text(duplicates: try task.duplicatesBetweenSplits()))

        let remaining = recipe.phases.filter { $0.epochs.upperBound > progress.completedEpochs }
        let cacheStages = remaining.map { cacheableStageCount(task, phase: $0.phase) }
        // Cache from the earliest phase that can; a phase that trains from the first stage runs uncached.
        var caches = try buildCaches(task, at: cacheStages.filter { $0 > 0 }.min() ?? 0)
        defer { caches.discardAll() }
        // What the last phase trained and validated on; a run resumed after its last epoch evaluates the whole model.
        var final: (model: Layer, validation: any BatchSource)?
        for (index, ((phase, epochs), stage)) in zip(remaining, cacheStages).enumerated() {
            task.configure(phase: phase)
            let (training, validation, trainedModel) = try sources(task, stage: stage, caches: &caches)
            progress = try train(task, phase: phase, epochs: epochs, training: training, validation: validation,
                                 model: trainedModel, progress: progress)
            final = (trainedModel, validation)
            // Keep only what a later phase reads: its own stage's caches, and the first ones to advance from.
            let later = Set(cacheStages.dropFirst(index + 1))
            caches.discard(keeping: later.isEmpty ? [stage] : later.union([cacheStages.min() ?? 0]))
        }
        let previousSeconds = checkpoint?.progress.history.reduce(0) { $0 + $1.seconds } ?? 0
        let (finalModel, finalValidation) = try final ?? (task.model, task.batches(.validation))
        let evaluation = try task.evaluate(trainedModel: finalModel, validation: finalValidation)
        let threads = (policy: ComputeThreads.policy, usage: ComputeThreads.usage)
        try RunOutputs(recipe: recipe, dataRoot: dataRoot, folder: folder, history: progress.history, threads: threads)
            .write(model: task.model, task: task, evaluation: evaluation, seconds: Date().timeIntervalSince(start) + previousSeconds)
        try? FileManager.default.removeItem(atPath: folder.checkpointPath)
        try? FileManager.default.removeItem(atPath: folder.cachePath)
        let seconds = Date().timeIntervalSince(start)
        let epochs = recipe.totalEpochs == 1 ? "1 epoch" : "\(recipe.totalEpochs) epochs"
        log(evaluation.summary + String(format: " (%@, %.0f s in this process)", epochs, seconds))
        log("Threads: \(threads.policy) (\(threads.usage))")
        log("Run folder: \(folder.path) (model.safetensors, config.json, history.csv)")
        log("Report: \(folder.reportPath)")
        return FineTuneResult(folder: folder, history: progress.history, evaluation: evaluation.classification, seconds: seconds)
    }

    /// The number of leading stages that are frozen and deterministic in `phase` (0 when the cache is off or the
    /// inputs change every epoch).
    private func cacheableStageCount(_ task: any FineTuneTask, phase: TrainingPhase) -> Int {
        guard recipe.featureCache == .auto, task.uncacheableReason == nil else { return 0 }
        task.configure(phase: phase)
        return task.stages.frozenPrefixCount
    }

    /// Training and validation caches of the first `stage` stages, or none when nothing can be cached.
    private func buildCaches(_ task: any FineTuneTask, at stage: Int) throws -> FeatureCacheSet {
        var caches = FeatureCacheSet()
        guard stage > 0 else {
            if recipe.featureCache == .auto, let reason = task.uncacheableReason { log("Feature cache: off (\(reason))") }
            return caches
        }
        let started = Date()
        var budget = recipe.featureCacheMemoryMiB << 20
        for split in DataSplit.allCases {
            let cache = try FeatureCache.build(split: split, from: try task.cachingBatches(split),
                                               capacity: task.sampleCount(split), stages: task.stages, stage: stage,
                                               memoryBudget: budget, spillPath: spillPath(split, stage: stage))
            budget = max(budget - cache.byteCount, 0)
            caches.insert(cache)
        }
        guard let training = caches[.training, stage: stage], let validation = caches[.validation, stage: stage] else { return caches }
        let place = training.isOnDisk || validation.isOnDisk ? "Float16 files under \(folder.cachePath)" : "memory"
        log(String(format: "Feature cache: %d + %d samples through %@…%@ (%@ per sample) in %.1f s, %.0f MiB in %@",
                   training.count, validation.count, task.stages[0].name, task.stages[stage - 1].name,
                   training.rowShape.map(String.init).joined(separator: "×"), Date().timeIntervalSince(started),
                   Double(training.byteCount + validation.byteCount) / 1_048_576, place))
        return caches
    }

    private func spillPath(_ split: DataSplit, stage: Int) -> String {
        (folder.cachePath as NSString).appendingPathComponent("\(split.rawValue)-stage\(stage).f16")
    }

    /// The data and the model to train for a phase whose first `stage` stages are frozen: cached features and the
    /// stage suffix when a cache reaches that far (advancing an earlier one if needed), else the task's own batches
    /// and the whole model.
    private func sources(_ task: any FineTuneTask, stage: Int, caches: inout FeatureCacheSet)
        throws -> (any BatchSource, any BatchSource, Layer) {
        let uncached = { (try task.batches(.training), try task.batches(.validation), task.model) }
        guard stage > 0 else { return try uncached() }
        for split in DataSplit.allCases where caches[split, stage: stage] == nil {
            guard let earlier = caches.nearest(split, atOrBefore: stage) else { return try uncached() }
            caches.insert(try earlier.advanced(through: task.stages, to: stage, batchSize: 64,
                                               memoryBudget: recipe.featureCacheMemoryMiB << 20,
                                               spillPath: spillPath(split, stage: stage)))
        }
        guard let training = caches[.training, stage: stage], let validation = caches[.validation, stage: stage] else {
            return try uncached()
        }
        return (CachedBatches(cache: training, batchSize: recipe.batchSize, shuffle: true, seed: recipe.seed),
                CachedBatches(cache: validation, batchSize: recipe.batchSize, shuffle: false, seed: recipe.seed),
                StageSuffix(stages: task.stages, from: stage))
    }

    /// A fresh optimizer for `phase` (a new one per phase, as Keras's recompile).
    private func makeOptimizer(phase: TrainingPhase) -> any CheckpointableOptimizer {
        let rate = recipe.learningRate(for: phase)
        switch recipe.optimizer {
        case .adam: return Adam(learningRate: rate)
        case .adamw: return AdamW(learningRate: rate)
        case .sgd: return SGD(learningRate: rate, momentum: 0.9)
        }
    }

    /// Runs one phase from `progress` to the end of `epochs`, checkpointing after every epoch.
    private func train(_ task: any FineTuneTask, phase: TrainingPhase, epochs: Range<Int>, training: any BatchSource,
                       validation: any BatchSource, model trainedModel: Layer, progress: RunProgress) throws -> RunProgress {
        let optimizer = makeOptimizer(phase: phase)
        let firstEpoch = max(epochs.lowerBound, progress.completedEpochs)
        if let checkpoint, firstEpoch > epochs.lowerBound, firstEpoch == checkpoint.progress.completedEpochs {
            try optimizer.restoreState(checkpoint.optimizerState, iterations: progress.optimizerIterations, for: task.model)
            optimizer.learningRate = progress.learningRate
        }
        let trainer = Trainer(model: trainedModel, optimizer: optimizer, loss: task.loss, metrics: task.metrics, seed: recipe.seed)
        trainer.globalStep = progress.globalStep
        let recorder = EpochRecorder(progress: progress, phase: phase, phaseEnd: epochs.upperBound, folder: folder,
                                     recipe: recipe, dataRoot: dataRoot, model: task.model, optimizer: optimizer,
                                     observer: epochDidEnd)
        let logger = ProgressLogger(batchesPerEpoch: training.batchCount, interactive: interactiveProgress) { [log] text in
            log(text.hasSuffix("\n") ? String(text.dropLast()) : text)
        }
        logger.setEpochCount(recipe.totalEpochs)
        var callbacks: [any Callback] = []
        if let patience = recipe.earlyStoppingPatience {
            callbacks.append(try EarlyStopping(monitor: .validationLoss, patience: patience, restoreBestWeights: true))
        }
        callbacks += [recorder, logger]
        let what = phase == .head ? "training the new head" : "fine-tuning (unfreeze \(recipe.unfreeze))"
        log("\(phase): \(what) — epochs \(firstEpoch + 1)–\(epochs.upperBound), "
            + "\(task.model.parameterCount(trainableOnly: true).formatted()) trainable parameters, "
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
