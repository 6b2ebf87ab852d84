import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

/// Image classification as a fine-tuning task: image folders, a pretrained image backbone from the registry with a
/// new ``ClassifierHead``, cross-entropy (sigmoid for two classes), accuracy, and at the end the per-class
/// evaluation, the most confident mistakes as thumbnails and the `config.json` that ``SavedClassifier`` reads.
final class ImageClassificationTask: FineTuneTask {
    let recipe: FineTuneRecipe
    let options: ImageClassificationRecipe
    let dataRoot: String
    let training: ImageFolder
    let validation: ImageFolder
    /// Whether validation images came from a `validation/` folder or a seeded split of the training images.
    let validationSource: ImageFolderSplits.ValidationSource
    let classifier: FineTunedClassifier
    let preprocessing: ImagePreprocessing
    let labelMode: LabelMode
    let loss: Loss
    let classWeights: [Float]?

    /// How many wrong predictions the report shows.
    static let mistakeCount = 12

    init(recipe: FineTuneRecipe, options: ImageClassificationRecipe, dataRoot: String) throws {
        self.recipe = recipe
        self.options = options
        self.dataRoot = dataRoot
        let splits = try ImageFolderSplits(root: dataRoot, validationFraction: recipe.validationSplit ?? 0.2,
                                           seed: recipe.seed, minimumClasses: 2)
        guard let validation = splits.validation, !validation.entries.isEmpty else {
            throw FineTuneError.invalidOption(name: "validation-split", message: "no validation images in \(dataRoot)")
        }
        training = splits.training
        self.validation = validation
        validationSource = splits.validationSource

        let entry = try ModelRegistry.entry(named: recipe.model)
        let base = try entry.build(weights: recipe.weightsFile.map { .file($0) } ?? .imagenet, includeTop: false)
        let size = options.imageSize ?? base.inputSize
        guard size >= base.minimumInputSize else {
            throw FineTuneError.invalidOption(name: "image-size", message: "\(entry.name) needs at least \(base.minimumInputSize), got \(size)")
        }
        classifier = try FineTunedClassifier(base: base, headKind: options.head, classNames: training.classNames,
                                             imageSize: size, dropout: options.dropout)
        try Self.initializeHead(classifier.head, seed: recipe.seed)
        if case .lastBlocks(let count) = recipe.unfreeze, count > base.blocks.count {
            throw FineTuneError.invalidOption(name: "unfreeze", message: "\(recipe.model) has \(base.blocks.count) blocks, cannot unfreeze the last \(count)")
        }
        if case .lastLayers(let count) = recipe.unfreeze, count > base.frameworkLayers.count {
            throw FineTuneError.invalidOption(name: "unfreeze", message: "\(recipe.model) has \(base.frameworkLayers.count) layers, "
                                              + "cannot unfreeze the last \(count)")
        }
        if recipe.batchNorm == .inference {
            for case let norm as BatchNorm in base.descendants().map(\.layer) { norm.usesRunningStatistics = true }
        }
        var input = ImagePreprocessing(for: base, size: size, method: options.resizeMethod)
        if options.inputScaling == .rescale { input.normalization = .unitRange }
        preprocessing = input

        let counts = training.classCounts
        if options.classWeight == .auto {
            let total = Float(counts.reduce(0, +))
            classWeights = counts.map { total / (Float(counts.count) * Float(max($0, 1))) }
        } else {
            classWeights = nil
        }
        if training.classNames.count == 2 {
            labelMode = .binary
            loss = .binaryCrossEntropy(fromLogits: true, labelSmoothing: options.labelSmoothing, classWeights: classWeights)
        } else {
            labelMode = .sparse
            loss = .sparseCategoricalCrossEntropy(fromLogits: true, labelSmoothing: options.labelSmoothing,
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

    var model: Layer { classifier }
    var stages: [ModelStage] { classifier.stages }
    var metrics: [TrainingMetric] { [.accuracy] }

    var uncacheableReason: String? {
        options.augmentation.isEnabled ? "augmentation changes every epoch's inputs" : nil
    }

    func configure(phase: TrainingPhase) {
        let base = classifier.base
        base.isTrainable = false
        classifier.head.isTrainable = true
        guard phase == .fineTune else { return }
        switch recipe.unfreeze {
        case .none:
            break
        case .all:
            base.isTrainable = true
        case .lastBlocks(let count):
            base.blocks.suffix(count).forEach { $0.isTrainable = true }
            base.layersAfterBlocks.forEach { $0.isTrainable = true }
        case .lastLayers(let count):
            base.frameworkLayers.suffix(count).flatMap(\.layers).forEach { $0.isTrainable = true }
        }
    }

    var unfrozenDescription: String {
        let stages = classifier.base.featureStages.map(\.name)
        let blocks = classifier.base.blockStageNames
        switch recipe.unfreeze {
        case .none:
            return "nothing"
        case .all:
            return "the whole base (\(stages.first ?? "")…\(stages.last ?? ""))"
        case .lastBlocks(let count):
            let unfrozen = blocks.suffix(count)
            let range = unfrozen.count == 1 ? unfrozen.first ?? "" : "\(unfrozen.first ?? "")–\(unfrozen.last ?? "")"
            let after = stages.drop { $0 != blocks.last }.dropFirst()
            return after.isEmpty ? range : "\(range) and \(after.joined(separator: ", "))"
        case .lastLayers(let count):
            let names = classifier.base.frameworkLayers.suffix(count).map(\.name)
            return names.count <= 6 ? names.joined(separator: ", ")
                                    : "\(names.prefix(3).joined(separator: ", ")) … \(names.suffix(2).joined(separator: ", ")) (\(names.count) layers)"
        }
    }

    func folder(_ split: DataSplit) -> ImageFolder { split == .training ? training : validation }

    func sampleCount(_ split: DataSplit) -> Int { folder(split).count }

    func batches(_ split: DataSplit) throws -> any BatchSource {
        var loaderOptions = ImageFolderLoader.Options()
        loaderOptions.batchSize = recipe.batchSize
        loaderOptions.labelMode = labelMode
        loaderOptions.seed = recipe.seed
        loaderOptions.shuffle = split == .training
        if split == .training { loaderOptions.augmentation = options.augmentation }
        return try ImageFolderLoader(folder: folder(split), preprocessing: preprocessing, options: loaderOptions)
    }

    func cachingBatches(_ split: DataSplit) throws -> any BatchSource {
        var loaderOptions = ImageFolderLoader.Options()
        loaderOptions.batchSize = 64
        loaderOptions.shuffle = false
        loaderOptions.labelMode = labelMode
        return try ImageFolderLoader(folder: folder(split), preprocessing: preprocessing, options: loaderOptions)
    }

    func duplicatesBetweenSplits() throws -> Int {
        try DatasetInspection.duplicates(between: training, and: validation).count
    }
}
