import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

/// The data, model, loss and phase plan of a run, built from its recipe.
final class FineTuneSetup {
    let recipe: FineTuneRecipe
    let dataRoot: String
    let training: ImageFolder
    let validation: ImageFolder
    /// How validation was found: `folder` or `split`.
    let validationSource: String
    let model: FineTunedClassifier
    let preprocessing: ImagePreprocessing
    let labelMode: LabelMode
    let loss: Loss
    let classWeights: [Float]?

    init(recipe: FineTuneRecipe, dataRoot: String) throws {
        try recipe.validate()
        self.recipe = recipe
        self.dataRoot = dataRoot
        let splits = try ImageFolderSplits(root: dataRoot, validationFraction: recipe.validationSplit ?? 0.2,
                                           seed: recipe.seed, minimumClasses: 2)
        guard let validation = splits.validation, !validation.entries.isEmpty else {
            throw FineTuneError.invalidOption(name: "validation-split", message: "no validation images in \(dataRoot)")
        }
        training = splits.training
        self.validation = validation
        validationSource = splits.validationSource
        let classNames = training.classNames

        let entry = try ModelRegistry.entry(named: recipe.model)
        let weights: WeightsSource = recipe.weightsFile.map { .file($0) } ?? .imagenet
        let base = try EfficientNetLite(variant: entry.variant, weights: weights, includeTop: false)
        let size = recipe.imageSize ?? base.inputSize
        model = try FineTunedClassifier(base: base, headKind: recipe.head, classNames: classNames, imageSize: size,
                                        dropout: recipe.dropout)
        try Self.initializeHead(model.head, seed: recipe.seed)
        if case .lastBlocks(let count) = recipe.unfreeze, count > base.blocks.count {
            throw FineTuneError.invalidOption(name: "unfreeze", message: "\(recipe.model) has \(base.blocks.count) blocks, cannot unfreeze the last \(count)")
        }
        if recipe.batchNorm == .inference {
            for case let norm as BatchNorm in base.descendants().map(\.layer) { norm.usesRunningStatistics = true }
        }
        preprocessing = ImagePreprocessing(for: base, size: size, method: ResizeMethod(rawValue: recipe.resizeMethod) ?? .bilinear)

        let counts = training.classCounts
        if recipe.classWeight == .auto {
            let total = Float(counts.reduce(0, +))
            classWeights = counts.map { total / (Float(counts.count) * Float(max($0, 1))) }
        } else {
            classWeights = nil
        }
        if classNames.count == 2 {
            labelMode = .binary
            loss = .binaryCrossEntropy(fromLogits: true, labelSmoothing: recipe.labelSmoothing, classWeights: classWeights)
        } else {
            labelMode = .sparse
            loss = .sparseCategoricalCrossEntropy(fromLogits: true, labelSmoothing: recipe.labelSmoothing,
                                                  classWeights: classWeights)
        }
    }

    /// Draws the head's dense weights (Glorot uniform, zero biases) from a generator of the recipe's seed alone, so
    /// the same seed gives the same head whatever else the process has initialized.
    private static func initializeHead(_ head: Sequential, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed ^ 0x4845_4144)
        for case let dense as Dense in head.layers {
            guard let weight = dense.weight else { continue }
            let shape = weight.shape
            try weight.assign(Initializer.glorotUniform.make(shape, fanIn: shape[1], fanOut: shape[0], generator: &generator))
            try dense.bias?.assign(Tensor(zeros: dense.bias?.shape ?? Shape([0])))
        }
    }

    /// The phases this run has: `[1]` or `[1, 2]`, with their global epoch ranges.
    var phases: [(phase: Int, epochs: Range<Int>)] {
        var result: [(Int, Range<Int>)] = []
        if recipe.headEpochs > 0 { result.append((1, 0..<recipe.headEpochs)) }
        if recipe.phaseTwoEpochs > 0 { result.append((2, recipe.headEpochs..<recipe.totalEpochs)) }
        return result
    }

    /// Sets what trains in `phase`: the head only (1), or also what ``FineTuneRecipe/unfreeze`` names (2).
    func configure(phase: Int) {
        let base = model.base
        base.isTrainable = false
        model.head.isTrainable = true
        guard phase == 2 else { return }
        switch recipe.unfreeze {
        case .none:
            break
        case .all:
            base.isTrainable = true
        case .lastBlocks(let count):
            base.blocks.suffix(count).forEach { $0.isTrainable = true }
            base.headConv.isTrainable = true
            base.headNorm.isTrainable = true
        }
    }

    /// The number of leading stages that are frozen and deterministic in `phase` (0 when augmentation is on,
    /// since then even the first stage sees different inputs every epoch).
    func cacheableStageCount(phase: Int) -> Int {
        guard recipe.featureCache == .auto, !recipe.augmentation.isEnabled else { return 0 }
        configure(phase: phase)
        return model.stages.frozenPrefixCount
    }

    /// The learning rate of `phase`.
    func learningRate(phase: Int) -> Float { phase == 1 ? recipe.learningRate : recipe.effectiveFineTuneLearningRate }

    /// A fresh optimizer for `phase` (a new one per phase, as Keras's recompile).
    func makeOptimizer(phase: Int) -> any CheckpointableOptimizer {
        let rate = learningRate(phase: phase)
        switch recipe.optimizer {
        case .adam: return Adam(learningRate: rate)
        case .adamw: return AdamW(learningRate: rate)
        case .sgd: return SGD(learningRate: rate, momentum: 0.9)
        }
    }

    /// The image loader for training (shuffled, augmented as the recipe says) or validation (file order).
    func loader(training isTraining: Bool) throws -> ImageFolderLoader {
        var options = ImageFolderLoader.Options()
        options.batchSize = recipe.batchSize
        options.labelMode = labelMode
        options.seed = recipe.seed
        options.shuffle = isTraining
        if isTraining { options.augmentation = recipe.augmentation }
        return try ImageFolderLoader(folder: isTraining ? training : validation, preprocessing: preprocessing, options: options)
    }
}
