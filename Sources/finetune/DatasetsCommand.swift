import ArgumentParser
import FineTune
import Foundation

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Write built-in data sets as image folders, and inspect image folders.",
        subcommands: [FashionMNISTFoldersCommand.self, InspectCommand.self]
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

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print classes, counts, image sizes, unreadable files and train/validation duplicates of an image folder."
    )

    @Argument(help: "The data set folder (with train/ and validation/, or class folders).") var folder: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let inspection = try DatasetInspection(root: folder)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(inspection), as: UTF8.self))
        } else {
            print(inspection.text)
        }
    }
}
