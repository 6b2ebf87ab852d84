import ArgumentParser
import FineTune
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify images with a fine-tuned run (`predict RUN IMAGE…`) or a pretrained ImageNet model.",
        discussion: "When the first argument is a run folder written by `finetune train`, its model and class names are used; folders of images are searched recursively."
    )

    @Option(help: "The model (see `finetune models list`).") var model = "efficientnet-lite0"
    @Option(help: "Its weights: a file of the model's own flavour (Keras .h5, torchvision .pth, …) instead of its installed ImageNet weights.")
    var weights: String?
    @Option(help: "How many classes to print per image.") var top = 5
    @Flag(help: "Print JSON: [{\"file\", \"top\": [{\"index\", \"label\", \"probability\"}]}].") var json = false
    @Argument(help: "An optional run folder, then image files or folders (JPEG or PNG).") var images: [String]

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be positive") }
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
    }

    func run() throws {
        let predictions: [FilePrediction]
        if let first = images.first, FileManager.default.fileExists(atPath: (first as NSString).appendingPathComponent(SavedClassifier.configurationFile)) {
            let saved = try SavedClassifier(folder: first)
            let files = try ImageFiles.expand(Array(images.dropFirst()))
            guard !files.isEmpty else { throw ValidationError("give at least one image file after the run folder") }
            predictions = try saved.predict(files: files, top: min(top, saved.model.classNames.count))
        } else {
            let entry = try ModelRegistry.entry(named: model)
            let network = try entry.build(weights: weights.map { .file($0) } ?? .imagenet)
            let classifier = ImageClassifier(model: network, labels: ImageNetLabels.names, inputSize: entry.inputSize,
                                             normalization: entry.preprocessing)
            predictions = try classifier.predict(files: try ImageFiles.expand(images), top: top)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(predictions), as: UTF8.self))
            return
        }
        for prediction in predictions {
            print(prediction.file)
            for item in prediction.top {
                let label = item.label.padding(toLength: max(28, item.label.count), withPad: " ", startingAt: 0)
                print("  " + String(item.index).leftPadded(to: 4) + "  " + label + String(format: " %6.2f%%", item.probability * 100))
            }
        }
    }
}
