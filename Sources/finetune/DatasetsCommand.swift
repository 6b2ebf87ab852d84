import ArgumentParser
import FineTune
import Foundation

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Write built-in data sets as folders (images, texts), and inspect data set folders.",
        subcommands: [FashionMNISTFoldersCommand.self, FortunesFoldersCommand.self, InspectCommand.self]
    )
}

struct FashionMNISTFoldersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fashion-mnist",
        abstract: "Write Fashion-MNIST (Debian's dataset-fashion-mnist) as PNG folders OUT/train/<class>/ and OUT/validation/<class>/ (test set as validation)."
    )

    @Option(help: "The folder to write.") var out: String
    @Option(help: "Training images to write (the first N of the chosen classes).") var trainLimit: Int?
    @Option(help: "Validation images to write (the first M test images of the chosen classes).") var validationLimit: Int?
    @Option(help: "Comma-separated classes to keep, e.g. Sneaker,Ankle_boot (default: all ten).") var classes: String?
    @Flag(help: "Replace existing train/validation folders under OUT.") var overwrite = false
    @Option(help: "Folder with the Fashion-MNIST IDX .gz files.") var dataDirectory: String?

    func run() throws {
        let chosen = classes.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        let summary = try FashionMNISTExport.write(to: out, classes: chosen, trainLimit: trainLimit,
                                                   validationLimit: validationLimit, overwrite: overwrite,
                                                   directory: dataDirectory)
        print("Wrote \(summary.trainCounts.reduce(0, +)) training and \(summary.validationCounts.reduce(0, +)) validation images to \(out)")
        for (index, name) in summary.classNames.enumerated() {
            print("  \(name): \(summary.trainCounts[index]) train, \(summary.validationCounts[index]) validation")
        }
    }
}

struct FortunesFoldersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fortunes",
        abstract: "Write Debian's fortunes package as text folders OUT/train/<class>/*.txt and OUT/validation/<class>/*.txt (each fortune file a class, a seeded stratified split).",
        discussion: "Default classes: \(FortunesExport.defaultClasses.joined(separator: ",")). `--classes all` takes every fortune file."
    )

    @Option(help: "The folder to write.") var out: String
    @Option(help: "Comma-separated fortune files to use as classes, or `all`.") var classes: String?
    @Option(help: "At most this many fortunes per class (the first ones).") var limit: Int?
    @Option(help: "The share of each class held out for validation.") var validationSplit = 0.2
    @Option(help: "The seed of the split.") var seed: UInt64 = 0
    @Flag(help: "Replace existing train/validation folders under OUT.") var overwrite = false
    @Option(help: "Folder with the fortune files.") var dataDirectory = FortunesExport.defaultDirectory

    func run() throws {
        var chosen = classes.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if chosen == ["all"] { chosen = try FortunesExport.allClasses(directory: dataDirectory) }
        let summary = try FortunesExport.write(to: out, classes: chosen, limit: limit, validationFraction: validationSplit,
                                               seed: seed, overwrite: overwrite, directory: dataDirectory)
        print("Wrote \(summary.trainCounts.reduce(0, +)) training and \(summary.validationCounts.reduce(0, +)) validation texts to \(out)")
        for (index, name) in summary.classNames.enumerated() {
            print("  \(name): \(summary.trainCounts[index]) train, \(summary.validationCounts[index]) validation")
        }
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print classes, counts and what could go wrong in a data set: image sizes, unreadable files and duplicates for images; token lengths, truncation and duplicates for texts.",
        discussion: "Text data (class folders of .txt files, or CSV/TSV/JSONL files) is tokenized with --model's tokenizer."
    )

    @Argument(help: "The data set: a folder (train/ and validation/, or class folders) or, for texts, a CSV/TSV/JSONL file.") var folder: String
    @Option(help: "For text data: the text model whose tokenizer counts tokens (a name such as minilm-l6, or a model folder).")
    var model = "minilm-l6"
    @Option(help: "For text data: the token length that training truncates to.") var maxLength: Int?
    @Option(help: "For CSV/TSV/JSONL data: the column holding the texts.") var textColumn = "text"
    @Option(help: "For CSV/TSV/JSONL data: the column holding the labels.") var labelColumn = "label"
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if TextDatasetSplits.isTextDataset(folder) {
            let (modelFolder, defaultLength) = try TextModelLocation.resolve(model)
            let tokenizer = try WordPieceTokenizer(modelFolder: modelFolder)
            let splits = try TextDatasetSplits(path: folder, textColumn: textColumn, labelColumn: labelColumn, validationFraction: nil)
            let inspection = TextDatasetInspection(root: folder, splits: splits, tokenizer: tokenizer,
                                                   maximumLength: maxLength ?? defaultLength)
            print(json ? String(decoding: try encoder.encode(inspection), as: UTF8.self) : inspection.text)
            return
        }
        let inspection = try DatasetInspection(root: folder)
        print(json ? String(decoding: try encoder.encode(inspection), as: UTF8.self) : inspection.text)
    }
}

/// Where a text model named on the command line lives: a registry name (`minilm-l6`, installed in the cache) or a
/// model folder; and the token length it truncates to by default.
enum TextModelLocation {
    static func resolve(_ name: String) throws -> (folder: String, defaultMaximumLength: Int) {
        if let entry = ModelRegistry.textEntry(named: name) {
            return (try WeightCache().installedFolder(for: entry), entry.defaultMaximumLength)
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: name, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--model \(name): not a text model name (\(ModelRegistry.textEntries.map(\.name).joined(separator: ", "))) or a model folder")
        }
        let folder = try TextModelFolder(path: name)
        let configuration = try BertConfiguration.read(path: folder.configurationPath)
        return (folder.path, min(128, configuration.maximumPositions))
    }
}
