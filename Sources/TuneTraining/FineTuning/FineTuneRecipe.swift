import TuneData
import TuneModels
import TuneNN

/// Everything that defines a fine-tuning run: the model, the data handling and the two phases of the Keras
/// fine-tuning guide. Saved in the run folder's `config.json` and checkpoint, so a run can be resumed and
/// reproduced from it alone.
///
/// Phase 1 trains a new head on the frozen base (BatchNorm in inference mode) for ``headEpochs`` epochs at
/// ``learningRate``. Phase 2 unfreezes what ``unfreeze`` says and trains ``fineTuneEpochs`` more epochs with a new
/// optimizer at ``fineTuneLearningRate`` (by default a tenth of the first rate).
public struct FineTuneRecipe: Codable, Sendable, Equatable {
    /// Which optimizer both phases use.
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
        case adam, adamw, sgd
    }

    /// How classes are weighted in the loss.
    public enum ClassWeighting: String, Codable, Sendable, CaseIterable {
        /// Every sample counts the same.
        case none
        /// `total / (classes × count)` per class, like scikit-learn's "balanced" (Keras users compute it by hand).
        case auto
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

    /// The registry name of the pretrained base.
    public var model = "efficientnet-lite0"
    /// A weight file to start from instead of the registry's ImageNet weights.
    public var weightsFile: String?
    /// The square input side; `nil` means the model's own (224 for Lite0).
    public var imageSize: Int?
    /// How images are resized.
    public var resizeMethod = ResizeMethod.bilinear.rawValue
    /// The new head.
    public var head = ClassifierHead.pooledDense
    /// The head's dropout rate.
    public var dropout: Float = 0.2
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
    /// Label smoothing of the cross-entropy (0 = off).
    public var labelSmoothing: Float = 0
    public var classWeight = ClassWeighting.none
    /// Data augmentation of training images (off by default; on, it turns the feature cache off).
    public var augmentation = Augmentation.none
    public var batchNorm = BatchNormMode.inference
    /// Seeds the head's initial weights, the shuffles, dropout, augmentation and any validation split.
    public var seed: UInt64 = 42
    /// The fraction of each class held out for validation when the data has no validation folder.
    public var validationSplit: Double?
    /// Compute threads for oneDNN/OpenBLAS; `nil` uses all cores.
    public var threads: Int?
    public var featureCache = FeatureCacheMode.auto
    /// The most memory the feature cache may take before it moves to an fp16 file under the run folder.
    public var featureCacheMemoryMiB = 2048
    /// Stop a phase after this many epochs without `val_loss` improving, restoring the best weights; `nil` = off.
    public var earlyStoppingPatience: Int?

    public init() {}

    /// The rate phase 2 uses.
    public var effectiveFineTuneLearningRate: Float { fineTuneLearningRate ?? learningRate * 0.1 }

    /// Epochs of phase 2 that will actually run.
    public var phaseTwoEpochs: Int { unfreeze == .none ? 0 : fineTuneEpochs }

    /// All epochs of the run, both phases.
    public var totalEpochs: Int { headEpochs + phaseTwoEpochs }

    /// Checks every value, naming the option at fault.
    public func validate() throws {
        func require(_ condition: Bool, _ name: String, _ message: String) throws {
            guard condition else { throw FineTuneError.invalidOption(name: name, message: message) }
        }
        _ = try ModelRegistry.entry(named: model)
        if let imageSize { try require(imageSize >= 32 && imageSize <= 1024, "image-size", "must be in 32…1024, got \(imageSize)") }
        try require(ResizeMethod(rawValue: resizeMethod) != nil, "resize",
                    "expected one of \(ResizeMethod.allCases.map(\.rawValue).joined(separator: ", ")), got \(resizeMethod)")
        try require(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1), got \(dropout)")
        try require(headEpochs >= 0, "head-epochs", "must be at least 0, got \(headEpochs)")
        try require(fineTuneEpochs >= 0, "epochs", "must be at least 0, got \(fineTuneEpochs)")
        try require(totalEpochs > 0, "epochs", "the recipe trains for 0 epochs (head-epochs 0 and no fine-tuning epochs)")
        try require(learningRate.isFinite && learningRate > 0, "learning-rate", "must be positive, got \(learningRate)")
        if let fineTuneLearningRate {
            try require(fineTuneLearningRate.isFinite && fineTuneLearningRate > 0, "fine-tune-learning-rate",
                        "must be positive, got \(fineTuneLearningRate)")
        }
        try require(batchSize >= 1 && batchSize <= 4096, "batch-size", "must be in 1…4096, got \(batchSize)")
        try require(labelSmoothing >= 0 && labelSmoothing < 1, "label-smoothing", "must be in [0, 1), got \(labelSmoothing)")
        if let validationSplit {
            try require(validationSplit > 0 && validationSplit < 1, "validation-split", "must be in (0, 1), got \(validationSplit)")
        }
        if let threads { try require(threads >= 1 && threads <= 256, "threads", "must be in 1…256, got \(threads)") }
        try require(featureCacheMemoryMiB >= 0, "feature-cache-memory", "must be at least 0 MiB, got \(featureCacheMemoryMiB)")
        if let earlyStoppingPatience {
            try require(earlyStoppingPatience >= 0, "early-stopping", "patience must be at least 0, got \(earlyStoppingPatience)")
        }
        do {
            try augmentation.validate()
        } catch {
            throw FineTuneError.invalidOption(name: "augment", message: "\(error)")
        }
    }
}
