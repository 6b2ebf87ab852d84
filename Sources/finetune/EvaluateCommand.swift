import ArgumentParser
import FineTune
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a fine-tuned run on a labelled image folder: accuracy, per-class precision/recall/F1, confusion matrix."
    )

    @Argument(help: "The run folder written by `finetune train`.") var runFolder: String
    @Argument(help: "The data folder: class sub-folders, or a folder with validation/ (used) and train/.") var data: String
    @Option(help: "Images per forward pass.") var batchSize = 64
    @Flag(help: "Print JSON with the keys accuracy, per_class, confusion_matrix and class_names.") var json = false

    func run() throws {
        let saved = try SavedClassifier(folder: runFolder)
        let report = try saved.evaluate(folder: data, batchSize: batchSize)
        if json {
            print(String(decoding: try report.jsonData(), as: UTF8.self))
        } else {
            print(report.text)
        }
    }
}
