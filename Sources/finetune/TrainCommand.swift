import ArgumentParser
import FineTune
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a pretrained model on images or texts (the Keras guide's two phases).",
        discussion: """
        DATA holds train/<class>/… and validation/<class>/… (or val/), or class folders directly with \
        --validation-split. Phase 1 trains a new head on the frozen base; phase 2 unfreezes --unfreeze and trains \
        --epochs more at a tenth of the learning rate. RUN receives config.json, model.safetensors, history.csv and \
        report.html; an interrupted run continues with `finetune train --resume RUN`. Text data (class folders of \
        .txt files, or CSV/TSV/JSONL files) is detected and trains a text model (default minilm-l6).
        """
    )

    @Argument(help: "The data folder (not needed with --resume).") var data: String?
    @Option(help: "The run folder to write.") var out: String?
    @Option(help: "Continue the interrupted run in this folder.") var resume: String?
    @Option(help: "The pretrained base (see `finetune models list`; default efficientnet-lite0 for images, minilm-l6 for texts; for texts also a Hugging Face BERT model folder).") var model: String?
    @Option(help: "Start from this weight file instead of the ImageNet weights.") var weights: String?
    @Option(help: "Square input side (default: the model's own, 224 for Lite0).") var imageSize: Int?
    @Option(help: "Resize method.") var resize = ResizeMethod.bilinear
    @Option(help: "Pixel normalization: weights (what the pretrained weights were trained with) or rescale (x / 255, the Keras guide's rescale=1./255).")
    var preprocessing = ImageClassificationRecipe.InputScaling.weights
    @Option(help: "The new head.") var head = ClassifierHead.pooledDense
    @Option(help: "Dropout rate in the head (default 0.2 for images, 0.1 for texts).") var dropout: Float?
    @Option(help: "Epochs of phase 1 (new head on the frozen base).") var headEpochs = 2
    @Option(help: "Epochs of phase 2 (after unfreezing).") var epochs = 3
    @Option(help: "What phase 2 unfreezes: last-blocks:N (the architecture's named blocks), last-layers:N (the last N layers as Keras lists them, base_model.layers[-N:]; for texts the last N transformer layers), all or none (default last-blocks:4 for images, last-layers:2 for texts).") var unfreeze: UnfreezePolicy?
    @Option(help: "Optimizer (sgd uses momentum 0.9; default adam for images, adamw for texts).") var optimizer: FineTuneRecipe.OptimizerKind?
    @Option(help: "For texts: tokens per text, [CLS] and [SEP] included (default: the model's, 128 for minilm-l6).") var maxLength: Int?
    @Option(help: "For texts: how token states become one vector: mean (over the mask) or cls (default: the model folder's, else mean).") var pooling: TextPooling?
    @Option(help: "For CSV/TSV/JSONL texts: the column holding the texts.") var textColumn = "text"
    @Option(help: "For CSV/TSV/JSONL texts: the column holding the labels.") var labelColumn = "label"
    @Option(help: "Phase 1 learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Phase 2 learning rate (default: a tenth of --learning-rate).") var fineTuneLearningRate: Float?
    @Option(help: "Batch size.") var batchSize = 32
    @Option(help: "Label smoothing for the cross-entropy.") var labelSmoothing: Float = 0
    @Option(help: "Class weights: none, or auto (inverse class frequency).") var classWeight = ImageClassificationRecipe.ClassWeighting.none
    @Option(help: "BatchNorm of unfrozen layers: inference (Keras guide) or train (batch statistics).") var batchnorm = FineTuneRecipe.BatchNormMode.inference
    @Option(help: "Augmentation, comma-separated: flip, vflip, crop (random resized), rotate:DEG, zoom:F, translate:F, brightness:F, contrast:F.", transform: TrainCommand.augmentation) var augment: Augmentation?
    @Option(help: "Seed for the head, shuffles, dropout, augmentation and splits.") var seed: UInt64 = 42
    @Option(help: "Fraction of each class held out for validation when DATA has no validation folder (default 0.2).") var validationSplit: Double?
    @Option(help: "Compute threads, fixed, for results that repeat bit for bit (default: adaptive, up to all cores, fewer while other processes keep them busy).")
    var threads: Int?
    @Option(help: "Feature cache of the frozen prefix.") var featureCache = FineTuneRecipe.FeatureCacheMode.auto
    @Option(help: "Memory for the feature cache before it moves to Float16 files under RUN/cache, in MiB.") var featureCacheMemory = 2048
    @Option(help: "Stop a phase after this many epochs without val_loss improving, keeping the best weights.") var earlyStopping: Int?

    func validate() throws {
        if resume == nil {
            guard data != nil else { throw ValidationError("give the data folder (or --resume RUN)") }
            guard out != nil else { throw ValidationError("give the run folder with --out RUN") }
        }
    }

    func run() throws {
        let tuner: FineTuner
        if let resume {
            tuner = try FineTuner.resuming(folder: resume)
        } else if let data, let out {
            tuner = FineTuner(recipe: try recipe(), dataRoot: data, runFolder: out)
        } else {
            throw ValidationError("give the data folder and --out RUN, or --resume RUN")
        }
        try tuner.run()
    }

    /// The recipe the options describe.
    func recipe() throws -> FineTuneRecipe {
        let isText = data.map(TextDatasetSplits.isTextDataset) ?? false || model.map(TextModelFolder.isTextModel) ?? false
        var recipe: FineTuneRecipe
        if isText {
            var text = TextClassificationRecipe(maximumLength: maxLength)
            text.pooling = pooling
            text.textColumn = textColumn
            text.labelColumn = labelColumn
            text.dropout = dropout ?? 0.1
            text.labelSmoothing = labelSmoothing
            recipe = FineTuneRecipe(task: .textClassification(text))
            recipe.model = model ?? "minilm-l6"
            recipe.unfreeze = unfreeze ?? .lastLayers(2)
            recipe.optimizer = optimizer ?? .adamw
        } else {
            recipe = FineTuneRecipe(task: .imageClassification(try imageRecipe()))
            recipe.model = model ?? "efficientnet-lite0"
            recipe.unfreeze = unfreeze ?? .lastBlocks(4)
            recipe.optimizer = optimizer ?? .adam
        }
        recipe.weightsFile = weights
        recipe.headEpochs = headEpochs
        recipe.fineTuneEpochs = epochs
        recipe.learningRate = learningRate
        recipe.fineTuneLearningRate = fineTuneLearningRate
        recipe.batchSize = batchSize
        recipe.batchNorm = batchnorm
        recipe.seed = seed
        recipe.validationSplit = validationSplit
        recipe.threads = threads
        recipe.featureCache = featureCache
        recipe.featureCacheMemoryMiB = featureCacheMemory
        recipe.earlyStoppingPatience = earlyStopping
        try recipe.validate()
        return recipe
    }

    /// The image options of the recipe.
    private func imageRecipe() throws -> ImageClassificationRecipe {
        var image = ImageClassificationRecipe(imageSize: imageSize)
        image.resizeMethod = resize
        image.inputScaling = preprocessing
        image.head = head
        image.dropout = dropout ?? 0.2
        image.labelSmoothing = labelSmoothing
        image.classWeight = classWeight
        if let augment { image.augmentation = augment }
        return image
    }

    /// Parses `flip,rotate:10,zoom:0.1`.
    static func augmentation(_ text: String) throws -> Augmentation {
        var switches = Augmentation.none
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
            let value = parts.count == 2 ? Float(parts[1]) : nil
            func amount() throws -> Float {
                guard let value else { throw FineTuneError.invalidOption(name: "augment", message: "\(parts[0]) needs a value, e.g. \(parts[0]):0.1") }
                return value
            }
            switch parts[0] {
            case "flip": switches.horizontalFlip = true
            case "vflip": switches.verticalFlip = true
            case "crop": switches.randomResizedCrop = .standard
            case "rotate": switches.rotationDegrees = try amount()
            case "zoom": switches.zoom = try amount()
            case "translate": switches.translation = try amount()
            case "brightness": switches.brightness = try amount()
            case "contrast": switches.contrast = try amount()
            default:
                throw FineTuneError.invalidOption(name: "augment", message: "unknown switch \"\(parts[0])\" (flip, vflip, crop, rotate:DEG, zoom:F, translate:F, brightness:F, contrast:F)")
            }
        }
        return switches
    }
}
