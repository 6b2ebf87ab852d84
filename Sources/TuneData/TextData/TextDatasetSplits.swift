import Foundation

/// The training and validation parts of a text data set, found the way image data sets are:
/// - `DATA/train/<class>/*.txt` and `DATA/validation/<class>/*.txt` (or `val/`), one text per file;
/// - `DATA/train.csv` and `DATA/validation.csv` (or `.tsv`, `.jsonl`; `val.*`), one text per row;
/// - a single `.csv`/`.tsv`/`.jsonl` file, or `DATA/<class>/*.txt`, with a seeded stratified validation split.
public struct TextDatasetSplits: Sendable {
    public let training: LabelledTexts
    public let validation: LabelledTexts?
    /// How the validation part was found.
    public let validationSource: ImageFolderSplits.ValidationSource

    /// Whether `path` looks like a text data set (so `finetune train` picks the text workflow).
    public static func isTextDataset(_ path: String) -> Bool {
        if TextTable.Format(path: path) != nil { return true }
        let root = URL(fileURLWithPath: path)
        if tableFile(named: "train", in: root) != nil { return true }
        let classRoot = ImageFolder.isDirectory(root.appendingPathComponent("train")) ? root.appendingPathComponent("train") : root
        guard let classes = try? ImageFolder.visibleChildren(of: classRoot).filter(ImageFolder.isDirectory),
              let first = classes.first,
              let files = try? ImageFolder.visibleChildren(of: first) else { return false }
        return files.contains { LabelledTexts.textFileExtensions.contains($0.pathExtension.lowercased()) }
    }

    /// Reads the parts under `path`, splitting `validationFraction` of each class off when there is no validation part.
    /// - Throws: ``DataError`` naming the file, line or class at fault; a validation label the training part lacks.
    public init(path: String, textColumn: String = "text", labelColumn: String = "label", validationFraction: Double? = 0.2,
                seed: UInt64 = 0, minimumClasses: Int = 2) throws {
        let root = URL(fileURLWithPath: path)
        var training: LabelledTexts
        var validation: LabelledTexts? = nil
        if TextTable.Format(path: path) != nil {
            training = try TextTable(path: path, textColumn: textColumn, labelColumn: labelColumn).labelledTexts()
        } else if let trainFile = Self.tableFile(named: "train", in: root) {
            training = try TextTable(path: trainFile, textColumn: textColumn, labelColumn: labelColumn).labelledTexts()
            if let file = Self.tableFile(named: "validation", in: root) ?? Self.tableFile(named: "val", in: root) {
                validation = try TextTable(path: file, textColumn: textColumn, labelColumn: labelColumn)
                    .labelledTexts(classNames: training.classNames)
            }
        } else if ImageFolder.isDirectory(root.appendingPathComponent("train")) {
            training = try LabelledTexts(folder: root.appendingPathComponent("train").path)
            if let folder = ["validation", "val"].map(root.appendingPathComponent).first(where: ImageFolder.isDirectory) {
                let names = try ImageFolder.visibleChildren(of: folder).filter(ImageFolder.isDirectory).map(\.lastPathComponent)
                if let stranger = names.sorted().first(where: { !training.classNames.contains($0) }) {
                    throw DataError.badFolder(path: folder.appendingPathComponent(stranger).path,
                                              message: "class '\(stranger)' does not occur in the training data (classes: \(training.classNames.joined(separator: ", ")))")
                }
                validation = try LabelledTexts(folder: folder.path, classNames: training.classNames.filter(names.contains))
                    .remapped(to: training.classNames)
            }
        } else {
            training = try LabelledTexts(folder: path)
        }
        try training.validateForTraining(minimumClasses: minimumClasses)
        if let validation {
            self.training = training
            self.validation = validation
            validationSource = .folder
        } else if let validationFraction {
            (self.training, self.validation) = try training.split(validationFraction: validationFraction, seed: seed)
            validationSource = .split
        } else {
            self.training = training
            self.validation = nil
            validationSource = .none
        }
    }

    /// `root/<name>.csv|tsv|jsonl`, whichever exists first.
    static func tableFile(named name: String, in root: URL) -> String? {
        ["csv", "tsv", "jsonl"].map { root.appendingPathComponent("\(name).\($0)").path }
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}

extension LabelledTexts {
    /// The same samples with class indices into `names` (a superset of this collection's classes).
    func remapped(to names: [String]) -> LabelledTexts {
        let indices = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let samples = samples.map { Sample(text: $0.text, classIndex: indices[classNames[$0.classIndex]] ?? 0, origin: $0.origin) }
        return LabelledTexts(source: source, classNames: names, samples: samples, skipped: skipped)
    }
}
