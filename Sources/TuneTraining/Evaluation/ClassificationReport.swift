import Foundation

/// Per-class precision/recall/F1 and the confusion matrix of a classifier on labelled data.
///
/// The metrics follow scikit-learn's `classification_report` with `zero_division=0`: a class that is never
/// predicted has precision 0, a class with no true samples has recall 0, and F1 is 0 when precision and recall
/// both are. The macro average weighs every class equally, including classes absent from the data.
public struct ClassificationReport: Sendable, Equatable {
    /// The scores of one class.
    public struct ClassMetrics: Sendable, Equatable {
        /// The class name.
        public let name: String
        /// Correct predictions of the class over all predictions of it (0 when it is never predicted).
        public let precision: Double
        /// Correct predictions of the class over its true samples (0 when it has none).
        public let recall: Double
        /// The harmonic mean of precision and recall (0 when both are 0).
        public let f1: Double
        /// The number of true samples of the class.
        public let support: Int
    }

    /// The class names, indexed by label.
    public let classNames: [String]
    /// rows = true class, columns = predicted class
    public let confusionMatrix: [[Int]]
    /// The fraction of samples predicted correctly.
    public let accuracy: Double
    /// The scores of each class, in class order.
    public let perClass: [ClassMetrics]

    /// The unweighted mean of the per-class F1 scores.
    public var macroF1: Double { Self.mean(perClass.map(\.f1)) }
    /// The unweighted mean of the per-class precisions.
    public var macroPrecision: Double { Self.mean(perClass.map(\.precision)) }
    /// The unweighted mean of the per-class recalls.
    public var macroRecall: Double { Self.mean(perClass.map(\.recall)) }
    /// The number of samples evaluated.
    public var sampleCount: Int { perClass.reduce(0) { $0 + $1.support } }

    /// Scores `predictedLabels` against `trueLabels` (class indices into `classNames`, paired by position).
    ///
    /// - Throws: ``EvaluationError/emptyInput(what:)`` when there are no classes or no labels,
    ///   ``EvaluationError/countMismatch(trueLabels:predictedLabels:)`` when the arrays differ in length and
    ///   ``EvaluationError/labelOutOfRange(array:index:value:classCount:)`` for the first label that is not a class.
    public init(classNames: [String], trueLabels: [Int], predictedLabels: [Int]) throws {
        guard !classNames.isEmpty else { throw EvaluationError.emptyInput(what: "classNames") }
        guard trueLabels.count == predictedLabels.count else {
            throw EvaluationError.countMismatch(trueLabels: trueLabels.count, predictedLabels: predictedLabels.count)
        }
        guard !trueLabels.isEmpty else { throw EvaluationError.emptyInput(what: "trueLabels") }
        let classCount = classNames.count
        for (name, labels) in [("trueLabels", trueLabels), ("predictedLabels", predictedLabels)] {
            if let index = labels.firstIndex(where: { !(0..<classCount).contains($0) }) {
                throw EvaluationError.labelOutOfRange(array: name, index: index, value: labels[index],
                                                      classCount: classCount)
            }
        }

        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (truth, prediction) in zip(trueLabels, predictedLabels) { matrix[truth][prediction] += 1 }

        var metrics: [ClassMetrics] = []
        var correct = 0
        for index in 0..<classCount {
            let hits = matrix[index][index]
            correct += hits
            let support = matrix[index].reduce(0, +)
            let predicted = matrix.reduce(0) { $0 + $1[index] }
            let precision = predicted == 0 ? 0 : Double(hits) / Double(predicted)
            let recall = support == 0 ? 0 : Double(hits) / Double(support)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            metrics.append(ClassMetrics(name: classNames[index], precision: precision, recall: recall, f1: f1,
                                        support: support))
        }
        self.classNames = classNames
        self.confusionMatrix = matrix
        self.accuracy = Double(correct) / Double(trueLabels.count)
        self.perClass = metrics
    }

    /// JSON object with exactly these top-level keys: "accuracy" (number), "per_class" (array in class order of
    /// {"class": name, "precision", "recall", "f1", "support"}), "confusion_matrix" (array of arrays, rows = true),
    /// "class_names" (array). Keys are sorted and the output pretty printed.
    public func jsonData() throws -> Data {
        let object: [String: Any] = [
            "accuracy": accuracy,
            "per_class": perClass.map { metrics -> [String: Any] in
                ["class": metrics.name, "precision": metrics.precision, "recall": metrics.recall,
                 "f1": metrics.f1, "support": metrics.support]
            },
            "confusion_matrix": confusionMatrix,
            "class_names": classNames,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// A human-readable text: a sklearn-like table (class, precision, recall, f1, support; then accuracy and
    /// macro avg lines) followed by the confusion matrix with row/column labels.
    public var text: String {
        let nameWidth = max(classNames.map(\.count).max() ?? 0, "macro avg".count, "true \\ predicted".count)
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + fill : fill + text
        }
        func score(_ value: Double) -> String { String(format: "%.4f", value) }

        var lines: [String] = []
        lines.append(pad("", nameWidth) + pad("precision", 11) + pad("recall", 11) + pad("f1-score", 11)
                     + pad("support", 10))
        lines.append("")
        for metrics in perClass {
            lines.append(pad(metrics.name, nameWidth) + pad(score(metrics.precision), 11)
                         + pad(score(metrics.recall), 11) + pad(score(metrics.f1), 11) + pad("\(metrics.support)", 10))
        }
        lines.append("")
        lines.append(pad("accuracy", nameWidth) + pad("", 22) + pad(score(accuracy), 11) + pad("\(sampleCount)", 10))
        lines.append(pad("macro avg", nameWidth) + pad(score(macroPrecision), 11) + pad(score(macroRecall), 11)
                     + pad(score(macroF1), 11) + pad("\(sampleCount)", 10))
        lines.append("")
        lines.append("Confusion matrix (rows = true class, columns = predicted class):")
        let largest = confusionMatrix.flatMap { $0 }.max() ?? 0
        let cellWidths = classNames.map { max($0.count, "\(largest)".count) + 2 }
        lines.append(pad("true \\ predicted", nameWidth, left: true)
                     + zip(classNames, cellWidths).map { pad($0, $1) }.joined())
        for (name, row) in zip(classNames, confusionMatrix) {
            lines.append(pad(name, nameWidth, left: true) + zip(row, cellWidths).map { pad("\($0)", $1) }.joined())
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}
