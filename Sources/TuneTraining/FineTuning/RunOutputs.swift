import Foundation
import TuneCore
import TuneData
import TuneFormats
import TuneModels
import TuneNN

/// The end of a run: evaluates the final model on the validation images and writes the run folder's files.
struct RunOutputs {
    let setup: FineTuneSetup
    let folder: RunFolder
    let history: [EpochRecord]

    /// How many wrong predictions the report shows.
    static let mistakeCount = 12

    /// Evaluates `model` (the whole classifier, or the suffix matching `validation`'s cached features) and writes
    /// `model.safetensors`, `config.json`, `history.csv` and `report.html`.
    func write(model: Layer, validation: any BatchSource, seconds: Double) throws -> ClassificationReport {
        let (probabilities, labels, paths) = try predict(model: model, data: validation)
        let predicted = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        let classNames = setup.model.classNames
        let evaluation = try ClassificationReport(classNames: classNames, trueLabels: labels, predictedLabels: predicted)

        var state = StateDictionary()
        for (name, tensor) in setup.model.namedParameters() + setup.model.namedBuffers() {
            try state.append(name: name, tensor: tensor)
        }
        try Safetensors.write(state, to: folder.modelPath, metadata: ["format": "finetune-model-1"])
        try folder.writeHistory(history)
        try writeConfiguration(evaluation: evaluation, seconds: seconds)

        let wrong = predicted.indices.filter { predicted[$0] != labels[$0] }
            .sorted { probabilities[$0][predicted[$0]] > probabilities[$1][predicted[$1]] }
            .prefix(Self.mistakeCount)
        let mistakes = wrong.compactMap { index -> RunReport.Mistake? in
            guard let thumbnail = try? RunReport.thumbnail(ofImageAt: paths[index]) else { return nil }
            return RunReport.Mistake(path: paths[index], trueClass: classNames[labels[index]],
                                     predictedClass: classNames[predicted[index]],
                                     confidence: Double(probabilities[index][predicted[index]]), thumbnailPNG: thumbnail)
        }
        let rows = history.map {
            RunReport.EpochRow(phase: $0.phase, epoch: $0.epoch, loss: Double($0.metrics["loss"] ?? .nan),
                               accuracy: $0.metrics["accuracy"].map(Double.init),
                               validationLoss: $0.metrics["val_loss"].map(Double.init),
                               validationAccuracy: $0.metrics["val_accuracy"].map(Double.init))
        }
        let report = RunReport(title: "FineTune run \((folder.path as NSString).lastPathComponent)", facts: facts(seconds: seconds),
                               history: rows, evaluation: evaluation, mistakes: mistakes)
        try report.write(to: folder.reportPath)
        return evaluation
    }

    /// Class probabilities, true labels and file paths of every sample of `data`, in order.
    private func predict(model: Layer, data: any BatchSource) throws -> ([[Float]], [Int], [String]) {
        var probabilities: [[Float]] = []
        var labels: [Int] = []
        var paths: [String] = []
        try withoutGradient {
            var batches = try data.makeBatchIterator(epoch: 0)
            while let batch = try batches.next() {
                probabilities += try setup.model.probabilities(try model(batch.inputs, context: .inference))
                labels += batch.targets?.scalars.map { Int($0) } ?? []
                paths += batch.paths
            }
        }
        return (probabilities, labels, paths)
    }

    /// The run's facts for the report, in order.
    private func facts(seconds: Double) -> [(key: String, value: String)] {
        let recipe = setup.recipe
        return [
            ("Data", "\(setup.dataRoot) — train \(setup.training.count), validation \(setup.validation.count) (\(setup.validationSource))"),
            ("Model", "\(recipe.model) + \(recipe.head.rawValue) head, \(setup.preprocessing.width)×\(setup.preprocessing.height)"),
            ("Recipe", "phase 1: \(recipe.headEpochs) epochs at lr \(String(format: "%g", recipe.learningRate)); phase 2: \(recipe.phaseTwoEpochs) epochs, "
                + "unfreeze \(recipe.unfreeze), lr \(String(format: "%g", recipe.effectiveFineTuneLearningRate)); \(recipe.optimizer.rawValue), batch \(recipe.batchSize)"),
            ("Seed", "\(recipe.seed), threads \(recipe.threads.map(String.init) ?? "all")"),
            ("Time", String(format: "%.0f s", seconds)),
            ("FineTune", "\(FineTuneVersion.string) (oneDNN \(ComputeLibraries.oneDNNVersion))"),
        ]
    }

    /// `config.json`: what ``SavedClassifier`` needs, plus the recipe, data summary, metrics and versions.
    private func writeConfiguration(evaluation: ClassificationReport, seconds: Double) throws {
        let recipe = setup.recipe
        let saved = SavedModelConfiguration(
            architecture: .init(base: recipe.model, head: recipe.head, dropout: recipe.dropout,
                                classCount: setup.model.classNames.count, imageSize: setup.model.imageSize),
            preprocessing: .init(setup.preprocessing), classNames: setup.model.classNames)
        var object = try jsonObject(saved)
        object["recipe"] = try jsonObject(recipe)
        object["seed"] = recipe.seed
        object["versions"] = ["finetune": FineTuneVersion.string, "onednn": ComputeLibraries.oneDNNVersion,
                              "openblas": ComputeLibraries.openBLASDescription]
        object["data"] = [
            "root": setup.dataRoot, "validation_source": setup.validationSource,
            "train_images": setup.training.count, "validation_images": setup.validation.count,
            "train_class_counts": setup.training.classCounts, "validation_class_counts": setup.validation.classCounts,
        ] as [String: Any]
        var metrics: [String: Any] = ["val_accuracy_final": evaluation.accuracy, "val_macro_f1": evaluation.macroF1,
                                      "training_seconds": seconds]
        if let last = history.last { for (name, value) in last.metrics where value.isFinite { metrics[name] = Double(value) } }
        object["metrics"] = metrics
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try writeFileAtomically(Array(data), to: folder.configurationPath)
    }

    private func jsonObject(_ value: some Encodable) throws -> [String: Any] {
        let data = try JSONText.encoder().encode(value)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FineTuneError.runFolder(path: folder.configurationPath, message: "cannot encode \(type(of: value))")
        }
        return object
    }
}
