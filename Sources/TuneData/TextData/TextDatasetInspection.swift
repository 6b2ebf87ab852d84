import Foundation

/// What `finetune datasets inspect` reports about a text data set: classes and counts per split, text lengths in
/// tokens (percentiles), how many texts a maximum length truncates, and texts found in both splits.
public struct TextDatasetInspection: Sendable, Codable, Equatable {
    /// One split's figures.
    public struct Split: Sendable, Codable, Equatable {
        public let name: String
        public let source: String
        /// Texts per class, in class order.
        public let counts: [Int]
        /// Tokens per text, `[CLS]` and `[SEP]` included, before truncation: the 50th, 90th, 95th, 99th percentiles and
        /// the longest.
        public let tokenLengthPercentiles: [String: Int]
        /// Texts longer than ``TextDatasetInspection/maximumLength`` tokens, which training truncates.
        public let truncatedTexts: Int
        /// Texts left out, with why (`path: empty text`).
        public let skipped: [String]
    }

    public let root: String
    public let classNames: [String]
    public let maximumLength: Int
    public let splits: [Split]
    /// Texts (after trimming whitespace) found in both the training and the validation split.
    public let duplicatesBetweenSplits: Int

    /// Inspects `splits` with `tokenizer`, counting texts over `maximumLength` tokens.
    public init(root: String, splits: TextDatasetSplits, tokenizer: WordPieceTokenizer, maximumLength: Int) {
        self.root = root
        classNames = splits.training.classNames
        self.maximumLength = maximumLength
        var parts = [("train", splits.training)]
        if let validation = splits.validation { parts.append(("validation", validation)) }
        self.splits = parts.map { name, texts in
            let lengths = texts.samples.map { tokenizer.encode($0.text).count }.sorted()
            func percentile(_ p: Double) -> Int {
                guard !lengths.isEmpty else { return 0 }
                return lengths[min(lengths.count - 1, Int((p / 100 * Double(lengths.count - 1)).rounded()))]
            }
            return Split(name: name, source: texts.source, counts: texts.classCounts,
                         tokenLengthPercentiles: ["p50": percentile(50), "p90": percentile(90), "p95": percentile(95),
                                                  "p99": percentile(99), "max": lengths.last ?? 0],
                         truncatedTexts: lengths.filter { $0 > maximumLength }.count,
                         skipped: texts.skipped.map { "\($0.origin): \($0.reason)" })
        }
        let trimmed = { (text: String) in text.trimmingCharacters(in: .whitespacesAndNewlines) }
        let training = Set(splits.training.samples.map { trimmed($0.text) })
        duplicatesBetweenSplits = splits.validation?.samples.filter { training.contains(trimmed($0.text)) }.count ?? 0
    }

    /// The report as lines of text.
    public var text: String {
        var lines = ["Text data set \(root)", "  Classes     \(classNames.count): \(classNames.joined(separator: ", "))"]
        for split in splits {
            let perClass = zip(classNames, split.counts).map { "\($0) \($1)" }.joined(separator: ", ")
            let p = split.tokenLengthPercentiles
            lines.append("  \(split.name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(split.counts.reduce(0, +)) texts (\(perClass))")
            lines.append("              tokens per text: median \(p["p50"] ?? 0), p90 \(p["p90"] ?? 0), p95 \(p["p95"] ?? 0), "
                         + "p99 \(p["p99"] ?? 0), longest \(p["max"] ?? 0); \(split.truncatedTexts) over --max-length \(maximumLength) (truncated)")
            if !split.skipped.isEmpty { lines.append("              skipped \(split.skipped.count): \(split.skipped.prefix(3).joined(separator: "; "))") }
        }
        lines.append("  Duplicates  \(duplicatesBetweenSplits == 0 ? "none" : String(duplicatesBetweenSplits)) between train and validation")
        return lines.joined(separator: "\n")
    }
}
