import TuneData
import TuneModels
import TuneNN

/// Everything that defines a fine-tuning run, whatever the task: the model, the two phases of the Keras fine-tuning
/// guide, the optimizer, seeds, threads and caching, plus the task's own options (``task``). Saved in the run folder's
/// `config.json` and checkpoint, so a run can be resumed and reproduced from it alone.
///
/// Phase 1 trains a new head on the frozen base (BatchNorm in inference mode) for ``headEpochs`` epochs at
/// ``learningRate``. Phase 2 unfreezes what ``unfreeze`` says and trains ``fineTuneEpochs`` more epochs with a new
/// optimizer at ``fineTuneLearningRate`` (by default a tenth of the first rate).
public struct FineTuneRecipe: Codable, Sendable, Equatable {
    /// Which optimizer both phases use.
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
        case adam, adamw, sgd
    }

    /// Which statistics unfrozen BatchNorm layers use in phase 2.
    public enum BatchNormMode: String, Codable, Sendable, CaseIterable {
        /// Running statistics, as the Keras guide's `base(x, training=False)`; γ and β still train.
        case inference
        /// Batch statistics, with running statistics updated (PyTorch's habit).
        case train
    }

    /// Whether frozen-prefix outputs are computed once and reused.
    public enum FeatureCacheMode: String, Codable, Sendable, CaseIterable {
        /// Cache whenever the frozen prefix is deterministic (no augmentation).
        case auto
        /// Always run the whole model.
        case off
    }

    /// What is learned and from which data, with the task's own options.
    public var task = TaskRecipe.imageClassification(ImageClassificationRecipe())
    /// The registry name of the pretrained base.
    public var model = "efficientnet-lite0"
    /// A weight file to start from instead of the registry's pretrained weights.
    public var weightsFile: String?
    /// Epochs of phase 1 (head only).
    public var headEpochs = 2
    /// Epochs of phase 2 (after unfreezing); ignored when ``unfreeze`` is `.none`.
    public var fineTuneEpochs = 3
    /// What phase 2 unfreezes.
    public var unfreeze = UnfreezePolicy.lastBlocks(4)
    /// The optimizer of both phases.
    public var optimizer = OptimizerKind.adam
    /// Phase 1's learning rate.
    public var learningRate: Float = 1e-3
    /// Phase 2's learning rate; `nil` means ``learningRate`` × 0.1.
    public var fineTuneLearningRate: Float?
    public var batchSize = 32
    public var batchNorm = BatchNormMode.inference
    /// Seeds the head's initial weights, the shuffles, dropout, augmentation and any validation split.
    public var seed: UInt64 = 42
    /// The fraction of each class held out for validation when the data has no validation set.
    public var validationSplit: Double?
    /// A fixed compute thread count for oneDNN, OpenBLAS and FineTune's loops (results then repeat bit for bit);
    /// `nil` keeps the process's ``ThreadPolicy``: adaptive unless set, up to all cores and fewer while other
    /// processes keep them busy.
    public var threads: Int?
    public var featureCache = FeatureCacheMode.auto
    /// The most memory the feature cache may take before it moves to an fp16 file under the run folder.
    public var featureCacheMemoryMiB = 2048
    /// Stop a phase after this many epochs without `val_loss` improving, restoring the best weights; `nil` = off.
    public var earlyStoppingPatience: Int?

    public init() {}

    /// A recipe for `task`, with every other setting at its default.
    public init(task: TaskRecipe) {
        self.task = task
    }

    /// The rate phase 2 uses.
    public var effectiveFineTuneLearningRate: Float { fineTuneLearningRate ?? learningRate * 0.1 }

    /// The learning rate of `phase`.
    public func learningRate(for phase: TrainingPhase) -> Float {
        phase == .head ? learningRate : effectiveFineTuneLearningRate
    }

    /// Epochs of phase 2 that will actually run.
    public var phaseTwoEpochs: Int { unfreeze == .none ? 0 : fineTuneEpochs }

    /// All epochs of the run, both phases.
    public var totalEpochs: Int { headEpochs + phaseTwoEpochs }

    /// The phases this run has, with their global (0-based) epoch ranges.
    public var phases: [(phase: TrainingPhase, epochs: Range<Int>)] {
        var result: [(TrainingPhase, Range<Int>)] = []
        if headEpochs > 0 { result.append((.head, 0..<headEpochs)) }
        if phaseTwoEpochs > 0 { result.append((.fineTune, headEpochs..<totalEpochs)) }
        return result
    }

    /// Checks every value, naming the option at fault.
    public func validate() throws {
        func require(_ condition: Bool, _ name: String, _ message: String) throws {
            guard condition else { throw FineTuneError.invalidOption(name: name, message: message) }
        }
        try require(headEpochs >= 0, "head-epochs", "must be at least 0, got \(headEpochs)")
        try require(fineTuneEpochs >= 0, "epochs", "must be at least 0, got \(fineTuneEpochs)")
        try require(totalEpochs > 0, "epochs", "the recipe trains for 0 epochs (head-epochs 0 and no fine-tuning epochs)")
        try require(learningRate.isFinite && learningRate > 0, "learning-rate", "must be positive, got \(learningRate)")
        if let fineTuneLearningRate {
            try require(fineTuneLearningRate.isFinite && fineTuneLearningRate > 0, "fine-tune-learning-rate",
                        "must be positive, got \(fineTuneLearningRate)")
        }
        try require(batchSize >= 1 && batchSize <= 4096, "batch-size", "must be in 1…4096, got \(batchSize)")
        if let validationSplit {
            try require(validationSplit > 0 && validationSplit < 1, "validation-split", "must be in (0, 1), got \(validationSplit)")
        }
        if let threads { try require(threads >= 1 && threads <= 256, "threads", "must be in 1…256, got \(threads)") }
        try require(featureCacheMemoryMiB >= 0, "feature-cache-memory", "must be at least 0 MiB, got \(featureCacheMemoryMiB)")
        if let earlyStoppingPatience {
            try require(earlyStoppingPatience >= 0, "early-stopping", "patience must be at least 0, got \(earlyStoppingPatience)")
        }
        try task.validate(model: model)
    }
}
