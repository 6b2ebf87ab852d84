import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

extension TextClassificationTask {
    func setupFacts(duplicatesBetweenSplits duplicates: Int) -> [(key: String, value: String)] {
        var facts: [(key: String, value: String)] = []
        let counts = training.classCounts, names = training.classNames
        let source = validationSource == .folder ? "validation set"
            : "\(Int(((recipe.validationSplit ?? 0.2) * 100).rounded()))% of each class split off, seed \(recipe.seed)"
        facts.append(("Data", "\(dataRoot): train \(training.count) texts, validation \(validation.count) texts (\(source))"))
        facts.append(("Classes", "\(names.count): " + zip(names, counts).map { "\($0) \($1)" }.joined(separator: ", ")))
        let ratio = Double(counts.max() ?? 0) / Double(max(counts.min() ?? 1, 1))
        facts.append(("Imbalance", String(format: "largest/smallest class %.2f (%@)", ratio, ratio < 1.5 ? "balanced" : "imbalanced")))
        let skipped = training.skipped.count + validation.skipped.count
        if skipped > 0 { facts.append(("Skipped", "\(skipped) texts (\(Set((training.skipped + validation.skipped).map(\.reason)).sorted().joined(separator: ", ")))")) }
        facts.append(("Duplicates", duplicates == 0 ? "none between train and validation"
            : "\(duplicates) texts appear in both train and validation (validation scores will be optimistic)"))
        let truncated = truncatedCount(.training) + truncatedCount(.validation)
        let share = Double(truncated) / Double(max(training.count + validation.count, 1)) * 100
        facts.append(("Input", String(format: "WordPiece (%@), at most %d tokens: %d texts truncated (%.1f%%); batches of similar lengths, padded per batch",
                                      tokenizer.lowercase ? "lowercased" : "cased", maximumLength, truncated, share)))
        let output = classifier.isBinary ? "1 output, sigmoid" : "\(names.count) outputs, softmax"
        facts.append(("Model", "\(recipe.model) (\(modelFolder.weightsPath)), \(classifier.encoder.layers.count) layers × "
            + "\(classifier.encoder.configuration.hiddenSize), \(classifier.pooling.rawValue) pooling + dense head (dropout \(options.dropout), \(output))"))
        return facts
    }

    var trainingFacts: [(key: String, value: String)] {
        [("Loss", "\(loss.kind.rawValue) from logits, label smoothing \(options.labelSmoothing)")]
    }

    var reportFacts: [(key: String, value: String)] {
        [("Data", "\(dataRoot) — train \(training.count), validation \(validation.count) texts (\(validationSource.rawValue))"),
         ("Model", "\(recipe.model) + dense head, \(classifier.pooling.rawValue) pooling, at most \(maximumLength) tokens")]
    }

    func evaluate(trainedModel: Layer, validation data: any BatchSource) throws -> TaskEvaluation {
        var probabilities: [[Float]] = [], labels: [Int] = [], origins: [String] = []
        try withoutGradient {
            var batches = try data.makeBatchIterator(epoch: 0)
            while let batch = try batches.next() {
                probabilities += try classifier.probabilities(try trainedModel(batch.inputs, context: .inference))
                labels += batch.targets?.scalars.map { Int($0) } ?? []
                origins += batch.paths
            }
        }
        let predicted = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        let names = classifier.classNames
        let report = try ClassificationReport(classNames: names, trueLabels: labels, predictedLabels: predicted)
        let textByOrigin = Dictionary(validation.samples.map { ($0.origin, $0.text) }, uniquingKeysWith: { first, _ in first })
        let mistakes = predicted.indices.filter { predicted[$0] != labels[$0] }
            .sorted { probabilities[$0][predicted[$0]] > probabilities[$1][predicted[$1]] }
            .prefix(Self.mistakeCount)
            .map { index in
                RunReport.Mistake(path: origins[index], trueClass: names[labels[index]], predictedClass: names[predicted[index]],
                                  confidence: Double(probabilities[index][predicted[index]]), text: textByOrigin[origins[index]] ?? "")
            }
        let configuration: [String: Any] = [
            "task": "text-classification",
            "architecture": ["encoder": recipe.model, "encoder_config": try JSONText.object(classifier.encoder.configuration, file: "config.json"),
                             "pooling": classifier.pooling.rawValue, "head": "dense", "dropout": options.dropout,
                             "class_count": names.count] as [String: Any],
            "preprocessing": ["tokenizer": "wordpiece", "lowercase": tokenizer.lowercase, "strip_accents": tokenizer.stripAccents,
                              "max_length": maximumLength, "vocabulary": modelFolder.vocabularyPath] as [String: Any],
            "class_names": names,
            "data": ["validation_source": validationSource.rawValue, "train_texts": training.count, "validation_texts": validation.count,
                     "train_class_counts": training.classCounts, "validation_class_counts": validation.classCounts,
                     "truncated_texts": truncatedCount(.training) + truncatedCount(.validation)] as [String: Any],
        ]
        return TaskEvaluation(savedConfiguration: configuration,
                              metrics: ["val_accuracy_final": report.accuracy, "val_macro_f1": report.macroF1],
                              summary: String(format: "Validation accuracy: %.2f%% on %d texts", report.accuracy * 100, validation.count),
                              classification: report, mistakes: Array(mistakes))
    }
}
