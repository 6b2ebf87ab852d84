import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

extension ImageClassificationTask {
    func setupFacts(duplicatesBetweenSplits duplicates: Int) -> [(key: String, value: String)] {
        var facts: [(key: String, value: String)] = []
        let counts = training.classCounts
        let names = training.classNames
        let source = validationSource == .folder ? "validation folder"
            : "\(Int(((recipe.validationSplit ?? 0.2) * 100).rounded()))% of each class split off, seed \(recipe.seed)"
        facts.append(("Data", "\(dataRoot): train \(training.count) images, validation \(validation.count) images (\(source))"))
        facts.append(("Classes", "\(names.count): " + zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", ")))
        let ratio = Double(counts.max() ?? 0) / Double(max(counts.min() ?? 1, 1))
        let balance = ratio < 1.5 ? "balanced" : "imbalanced, consider --class-weight auto"
        facts.append(("Imbalance", String(format: "largest/smallest class %.2f (%@)", ratio, balance)))
        if !training.skippedFiles.isEmpty || !validation.skippedFiles.isEmpty {
            facts.append(("Skipped", "\(training.skippedFiles.count + validation.skippedFiles.count) non-image files"))
        }
        facts.append(("Duplicates", duplicates == 0 ? "none between train and validation"
            : "\(duplicates) files appear in both train and validation (validation scores will be optimistic)"))
        func spelled(_ normalization: Normalization) -> String {
            "\(normalization.name)\(normalization.channelOrder == .bgr ? " BGR" : "") "
                + "(mean \(normalization.mean.map { "\($0)" }.joined(separator: "/")), std \(normalization.standardDeviation.map { "\($0)" }.joined(separator: "/")))"
        }
        let normalization = preprocessing.normalization, expected = classifier.base.preprocessing
        let match = normalization == expected ? "— what the \(recipe.model) weights expect"
            : "— WARNING: the \(recipe.model) weights were trained with \(spelled(expected)); --preprocessing rescale feeds them "
              + "other values, as the Keras guide's rescale=1./255 does"
        facts.append(("Input", "\(preprocessing.width)×\(preprocessing.height) \(preprocessing.method.rawValue), normalization "
            + "\(spelled(normalization)) \(match)"))
        let output = classifier.isBinary ? "1 output, sigmoid" : "\(names.count) outputs, softmax"
        facts.append(("Model", "\(recipe.model) (\(recipe.weightsFile ?? "ImageNet weights")) + \(options.head.rawValue) head (dropout \(options.dropout), \(output))"))
        return facts
    }

    var trainingFacts: [(key: String, value: String)] {
        let weights = classWeights.map { $0.map { String(format: "%.2f", $0) }.joined(separator: "/") } ?? "none"
        var facts = [(key: "Loss", value: "\(loss.kind.rawValue) from logits, label smoothing \(options.labelSmoothing), class weights \(weights)")]
        if options.augmentation.isEnabled { facts.append(("Augment", "\(options.augmentation)")) }
        return facts
    }

    var reportFacts: [(key: String, value: String)] {
        [("Data", "\(dataRoot) — train \(training.count), validation \(validation.count) (\(validationSource.rawValue))"),
         ("Model", "\(recipe.model) + \(options.head.rawValue) head, \(preprocessing.width)×\(preprocessing.height)")]
    }

    func evaluate(trainedModel: Layer, validation data: any BatchSource) throws -> TaskEvaluation {
        let (probabilities, labels, paths) = try predict(model: trainedModel, data: data)
        let predicted = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        let classNames = classifier.classNames
        let evaluation = try ClassificationReport(classNames: classNames, trueLabels: labels, predictedLabels: predicted)
        let wrong = predicted.indices.filter { predicted[$0] != labels[$0] }
            .sorted { probabilities[$0][predicted[$0]] > probabilities[$1][predicted[$1]] }
            .prefix(Self.mistakeCount)
        let mistakes = wrong.compactMap { index -> RunReport.Mistake? in
            guard let thumbnail = try? RunReport.thumbnail(ofImageAt: paths[index]) else { return nil }
            return RunReport.Mistake(path: paths[index], trueClass: classNames[labels[index]],
                                     predictedClass: classNames[predicted[index]],
                                     confidence: Double(probabilities[index][predicted[index]]), thumbnailPNG: thumbnail)
        }
        let saved = SavedModelConfiguration(
            architecture: .init(base: recipe.model, head: options.head, dropout: options.dropout,
                                classCount: classNames.count, imageSize: classifier.imageSize),
            preprocessing: .init(preprocessing), classNames: classNames)
        var configuration = try JSONText.object(saved, file: "config.json")
        configuration["data"] = [
            "validation_source": validationSource.rawValue,
            "train_images": training.count, "validation_images": validation.count,
            "train_class_counts": training.classCounts, "validation_class_counts": validation.classCounts,
        ] as [String: Any]
        return TaskEvaluation(savedConfiguration: configuration,
                              metrics: ["val_accuracy_final": evaluation.accuracy, "val_macro_f1": evaluation.macroF1],
                              summary: String(format: "Validation accuracy: %.2f%% on %d images", evaluation.accuracy * 100,
                                              validation.count),
                              classification: evaluation, mistakes: mistakes)
    }

    /// Class probabilities, labels and file paths of every sample of `data`, in order.
    private func predict(model: Layer, data: any BatchSource) throws -> ([[Float]], [Int], [String]) {
        var probabilities: [[Float]] = []
        var labels: [Int] = []
        var paths: [String] = []
        try withoutGradient {
            var batches = try data.makeBatchIterator(epoch: 0)
            while let batch = try batches.next() {
                probabilities += try classifier.probabilities(try model(batch.inputs, context: .inference))
                labels += batch.targets?.scalars.map { Int($0) } ?? []
                paths += batch.paths
            }
        }
        return (probabilities, labels, paths)
    }
}
