import Foundation
import TuneCore
import TuneData
import TuneFormats
import TuneNN

/// A fine-tuned classifier loaded from a run folder (`config.json` + `model.safetensors`), ready to predict.
public struct SavedClassifier {
    /// The folder's file names.
    public static let configurationFile = "config.json"
    public static let weightsFile = "model.safetensors"

    /// The rebuilt network with its trained weights.
    public let model: FineTunedClassifier
    /// What `config.json` says about it.
    public let configuration: SavedModelConfiguration
    /// How image files become inputs (the training preprocessing, without augmentation).
    public let preprocessing: ImagePreprocessing

    /// Rebuilds the model described by `folder/config.json` and loads `folder/model.safetensors` strictly.
    public init(folder: String) throws {
        let configuration = try SavedModelConfiguration.read(path: (folder as NSString).appendingPathComponent(Self.configurationFile))
        let architecture = configuration.architecture
        let entry = try ModelRegistry.entry(named: architecture.base)
        let model = try FineTunedClassifier(base: try entry.build(weights: .none, includeTop: false), headKind: architecture.head,
                                            classNames: configuration.classNames, imageSize: architecture.imageSize,
                                            dropout: architecture.dropout)
        let weights = (folder as NSString).appendingPathComponent(Self.weightsFile)
        try model.load(try Safetensors.read(path: weights).tensors, strict: true)
        self.model = model
        self.configuration = configuration
        self.preprocessing = try configuration.preprocessing.make()
    }

    /// The `top` most probable classes of each image file, preprocessed as in training.
    public func predict(files: [String], top: Int = 5) throws -> [FilePrediction] {
        guard top > 0 else { throw DataError.invalidArgument(message: "top must be positive, got \(top)") }
        return try files.map { file in
            let image = try ImageCodec.decode(contentsOf: file)
            var generator = SeededGenerator(seed: 0)
            let pixels = try preprocessing.render(image, generator: &generator)
            let input = try Tensor(shape: Shape([1] + preprocessing.outputShape), scalars: pixels)
            let logits = try withoutGradient { try model(input) }
            guard let probabilities = try model.probabilities(logits).first else {
                throw DataError.inconsistent(message: "the model gave no output for \(file)")
            }
            let best = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(top)
            return FilePrediction(file: file, top: best.map {
                ClassProbability(index: $0, label: model.classNames[$0], probability: probabilities[$0])
            })
        }
    }
}
