import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

/// Text classification as a fine-tuning task: labelled texts (class folders or tables), a pretrained BERT-class encoder
/// with a new head on its pooled states, cross-entropy (sigmoid for two classes), accuracy. Phase 1 trains the head on
/// the frozen encoder, whose pooled outputs the recipe caches; phase 2 unfreezes the last transformer layers.
final class TextClassificationTask: FineTuneTask {
    let recipe: FineTuneRecipe
    let options: TextClassificationRecipe
    let dataRoot: String
    let training: LabelledTexts
    let validation: LabelledTexts
    let validationSource: ImageFolderSplits.ValidationSource
    let tokenizer: WordPieceTokenizer
    let maximumLength: Int
    let classifier: TextClassifier
    let modelFolder: TextModelFolder
    let loss: Loss
    /// Each split tokenized once, truncated to ``maximumLength``.
    private let encoded: [DataSplit: [TokenizedText]]

    /// How many wrong predictions the report shows.
    static let mistakeCount = 12

    init(recipe: FineTuneRecipe, options: TextClassificationRecipe, dataRoot: String) throws {
        self.recipe = recipe
        self.options = options
        self.dataRoot = dataRoot
        let splits = try TextDatasetSplits(path: dataRoot, textColumn: options.textColumn, labelColumn: options.labelColumn,
                                           validationFraction: recipe.validationSplit ?? 0.2, seed: recipe.seed)
        guard let validation = splits.validation, validation.count > 0 else {
            throw FineTuneError.invalidOption(name: "validation-split", message: "no validation texts in \(dataRoot)")
        }
        training = splits.training
        self.validation = validation
        validationSource = splits.validationSource

        let (folder, defaultLength) = try TextModelFolder.resolve(recipe.model)
        modelFolder = folder
        tokenizer = try WordPieceTokenizer(modelFolder: folder.path)
        let encoder = try BertEncoder(folder: folder)
        maximumLength = options.maximumLength ?? defaultLength
        guard maximumLength <= encoder.configuration.maximumPositions else {
            throw FineTuneError.invalidOption(name: "max-length", message: "\(recipe.model) covers \(encoder.configuration.maximumPositions) positions, got \(maximumLength)")
        }
        if let path = recipe.weightsFile { try encoder.loadCheckpoint(path: path) }
        let layerCount = encoder.layers.count
        if case .lastLayers(let count) = recipe.unfreeze, count > layerCount {
            throw FineTuneError.invalidOption(name: "unfreeze", message: "\(recipe.model) has \(layerCount) layers, cannot unfreeze the last \(count)")
        }
        if case .lastBlocks(let count) = recipe.unfreeze, count > layerCount {
            throw FineTuneError.invalidOption(name: "unfreeze", message: "\(recipe.model) has \(layerCount) layers, cannot unfreeze the last \(count)")
        }
        classifier = try TextClassifier(encoder: encoder, classNames: training.classNames,
                                        pooling: options.pooling ?? folder.pooling ?? .mean, dropout: options.dropout,
                                        generator: WeightGenerator(seed: recipe.seed ^ 0x4845_4144))
        let length = maximumLength
        encoded = [.training: training.samples.map { [tokenizer] in tokenizer.encode($0.text, maxLength: length) },
                   .validation: validation.samples.map { [tokenizer] in tokenizer.encode($0.text, maxLength: length) }]
        loss = training.classNames.count == 2
            ? .binaryCrossEntropy(fromLogits: true, labelSmoothing: options.labelSmoothing, classWeights: nil)
            : .sparseCategoricalCrossEntropy(fromLogits: true, labelSmoothing: options.labelSmoothing, classWeights: nil)
    }

    var model: Layer { classifier }
    var stages: [ModelStage] { classifier.stages }
    var metrics: [TrainingMetric] { [.accuracy] }
    var uncacheableReason: String? { nil }

    func configure(phase: TrainingPhase) {
        let encoder = classifier.encoder
        encoder.isTrainable = false
        classifier.head.isTrainable = true
        guard phase == .fineTune else { return }
        switch recipe.unfreeze {
        case .none: break
        case .all: encoder.isTrainable = true
        case .lastBlocks(let count), .lastLayers(let count): encoder.layers.suffix(count).forEach { $0.isTrainable = true }
        }
    }

    var unfrozenDescription: String {
        let count = classifier.encoder.layers.count
        switch recipe.unfreeze {
        case .none: return "nothing"
        case .all: return "the whole encoder (embeddings and layers 0–\(count - 1))"
        case .lastBlocks(let n), .lastLayers(let n):
            return n == 1 ? "transformer layer \(count - 1)" : "transformer layers \(count - n)–\(count - 1)"
        }
    }

    func texts(_ split: DataSplit) -> LabelledTexts { split == .training ? training : validation }

    func sampleCount(_ split: DataSplit) -> Int { texts(split).count }

    func batches(_ split: DataSplit) throws -> any BatchSource {
        try tokenBatches(split, batchSize: recipe.batchSize, bucketed: split == .training)
    }

    func cachingBatches(_ split: DataSplit) throws -> any BatchSource {
        try tokenBatches(split, batchSize: 64, bucketed: false)
    }

    private func tokenBatches(_ split: DataSplit, batchSize: Int, bucketed: Bool) throws -> TokenBatches {
        let samples = texts(split).samples
        return try TokenBatches(texts: encoded[split] ?? [], labels: samples.map(\.classIndex), origins: samples.map(\.origin),
                                batchSize: batchSize, paddingID: tokenizer.specialIDs.padding,
                                bucketedSeed: bucketed ? recipe.seed : nil, binary: classifier.isBinary)
    }

    func duplicatesBetweenSplits() throws -> Int {
        let trimmed = { (text: String) in text.trimmingCharacters(in: .whitespacesAndNewlines) }
        let seen = Set(training.samples.map { trimmed($0.text) })
        return validation.samples.filter { seen.contains(trimmed($0.text)) }.count
    }

    /// Texts of `split` that ``maximumLength`` cut.
    func truncatedCount(_ split: DataSplit) -> Int { (encoded[split] ?? []).filter(\.wasTruncated).count }
}
