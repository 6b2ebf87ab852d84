import Foundation
import TuneData
import TuneModels
import TuneNN

extension FineTuneSetup {
    /// The short pre-training check: data, classes and imbalance, duplicates, preprocessing, what trains and what
    /// is frozen in each phase, BatchNorm modes and the loss.
    func setupCheck(duplicates: Int) -> String {
        var lines = ["Setup check"]
        func add(_ key: String, _ value: String) { lines.append("  " + key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        let counts = training.classCounts
        let names = training.classNames
        add("Data", "\(dataRoot): train \(training.count) images, validation \(validation.count) images (\(validationSource == "folder" ? "validation folder" : "\(Int(((recipe.validationSplit ?? 0.2) * 100).rounded()))% of each class split off, seed \(recipe.seed)"))")
        let pairs = zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", ")
        add("Classes", "\(names.count): \(pairs)")
        let largest = counts.max() ?? 0
        let smallest = max(counts.min() ?? 1, 1)
        let ratio = Double(largest) / Double(smallest)
        let balance = ratio < 1.5 ? "balanced" : "imbalanced, consider --class-weight auto"
        add("Imbalance", String(format: "largest/smallest class %.2f (%@)", ratio, balance))
        if !training.skippedFiles.isEmpty || !validation.skippedFiles.isEmpty {
            add("Skipped", "\(training.skippedFiles.count + validation.skippedFiles.count) non-image files")
        }
        add("Duplicates", duplicates == 0 ? "none between train and validation"
            : "\(duplicates) files appear in both train and validation (validation scores will be optimistic)")
        let normalization = preprocessing.normalization
        add("Input", "\(preprocessing.width)×\(preprocessing.height) \(preprocessing.method.rawValue), normalization \(normalization.name) "
            + "(mean \(normalization.mean.map { "\($0)" }.joined(separator: "/")), std \(normalization.standardDeviation.map { "\($0)" }.joined(separator: "/"))) "
            + "— what the \(recipe.model) weights expect")
        let output = model.isBinary ? "1 output, sigmoid" : "\(names.count) outputs, softmax"
        add("Model", "\(recipe.model) (\(recipe.weightsFile ?? "ImageNet weights")) + \(recipe.head.rawValue) head (dropout \(recipe.dropout), \(output))")
        let total = model.parameterCount()
        for (phase, epochs) in phases {
            configure(phase: phase)
            let trainable = model.parameterCount(trainableOnly: true)
            let what = phase == 1 ? "head only; base frozen" : "unfreeze \(recipe.unfreeze): \(unfrozenDescription)"
            add("Phase \(phase)", "\(epochs.count) epoch\(epochs.count == 1 ? "" : "s"), \(recipe.optimizer.rawValue) lr \(String(format: "%g", learningRate(phase: phase))), batch \(recipe.batchSize): "
                + "\(what); trainable \(trainable.formatted()) of \(total.formatted()) parameters; \(batchNormDescription)")
        }
        add("Loss", "\(loss.kind.rawValue) from logits, label smoothing \(recipe.labelSmoothing), class weights "
            + (classWeights.map { $0.map { String(format: "%.2f", $0) }.joined(separator: "/") } ?? "none"))
        if recipe.augmentation.isEnabled { add("Augment", "\(recipe.augmentation)") }
        return lines.joined(separator: "\n")
    }

    /// The unfrozen part of phase 2 in the architecture's terms.
    private var unfrozenDescription: String {
        let blocks = model.base.blocks.count
        switch recipe.unfreeze {
        case .none: return "nothing"
        case .all: return "the whole base (stem, blocks 0–\(blocks - 1), head conv)"
        case .lastBlocks(let count): return "blocks \(blocks - count)–\(blocks - 1) and the head conv"
        }
    }

    /// The BatchNorm modes while training the current configuration.
    private var batchNormDescription: String {
        let norms = model.descendants().compactMap { $0.layer as? BatchNorm }
        let training = ForwardContext(isTraining: true)
        let batchStatistics = norms.filter { $0.usesBatchStatistics(in: training) }.count
        let frozen = norms.filter { !$0.isTrainable }.count
        return "BatchNorm: \(frozen) frozen (inference mode), \(norms.count - frozen - batchStatistics) trainable in inference mode, "
            + "\(batchStatistics) with batch statistics"
    }
}
