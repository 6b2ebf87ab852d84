import Foundation
import TuneCore
import TuneFormats
import TuneNN

/// One finished epoch of a fine-tuning run, as the run folder records it.
public struct EpochRecord: Codable, Sendable, Equatable {
    /// The phase the epoch belongs to.
    public var phase: TrainingPhase
    /// 1-based, counted across both phases.
    public var epoch: Int
    /// `loss`, `accuracy`, `val_loss`, `val_accuracy`, …
    public var metrics: [MetricName: Float]
    /// The learning rate the epoch trained with.
    public var learningRate: Float
    /// Wall time of the epoch, training and validation.
    public var seconds: Double
}

/// What a resumed run needs besides the weights: where it stopped and the log so far.
struct RunProgress: Codable, Equatable {
    /// Epochs finished, across both phases.
    var completedEpochs: Int
    /// Optimizer steps taken, across both phases (seeds dropout per step).
    var globalStep: Int
    /// Steps taken by the current phase's optimizer.
    var optimizerIterations: Int
    /// The current phase's learning rate (a callback may have lowered it).
    var learningRate: Float
    var history: [EpochRecord]
}

/// The resumable state of a run, in one safetensors file written atomically after every epoch: the model's
/// parameters and buffers (`model.<path>`), the optimizer's state (`optimizer.<name>`), and in the metadata the
/// recipe, the data folder and the ``RunProgress``.
struct RunCheckpoint {
    static let fileName = "checkpoint.safetensors"
    /// The metadata `format` this build writes (2: the recipe holds its task as `{"kind", "options"}`).
    static let formatName = "finetune-checkpoint-2"

    var recipe: FineTuneRecipe
    var dataRoot: String
    var progress: RunProgress
    var modelState: [String: Tensor]
    var optimizerState: [String: Tensor]

    /// Writes the checkpoint of `model` and `optimizer` to `path` (temporary file, fsync, rename).
    static func write(to path: String, recipe: FineTuneRecipe, dataRoot: String, progress: RunProgress, model: Layer,
                      optimizer: any CheckpointableOptimizer) throws {
        var state = StateDictionary()
        for (name, tensor) in model.namedParameters() + model.namedBuffers() {
            try state.append(name: "model.\(name)", tensor: tensor)
        }
        for (name, tensor) in try optimizer.stateTensors(for: model) {
            try state.append(name: "optimizer.\(name)", tensor: tensor)
        }
        let metadata = ["format": formatName, "recipe": try JSONText.encode(recipe),
                        "data": dataRoot, "progress": try JSONText.encode(progress)]
        try Safetensors.write(state, to: path, metadata: metadata)
        ModelCheckpoint.syncDirectory(of: path)
    }

    /// Reads a checkpoint written by ``write(to:recipe:dataRoot:progress:model:optimizer:)``.
    static func read(path: String) throws -> RunCheckpoint {
        let metadata = try Safetensors.metadata(path: path)
        if let format = metadata["format"], format.hasPrefix("finetune-checkpoint-"), format != formatName {
            throw FineTuneError.runFolder(path: path, message: "checkpoint format \(format) is not the \(formatName) this build reads; start the run again")
        }
        guard metadata["format"] == formatName, let recipeText = metadata["recipe"],
              let dataRoot = metadata["data"], let progressText = metadata["progress"] else {
            throw FineTuneError.runFolder(path: path, message: "not a FineTune checkpoint (metadata format, recipe, data or progress missing)")
        }
        let recipe = try JSONText.decode(FineTuneRecipe.self, from: recipeText, file: path)
        let progress = try JSONText.decode(RunProgress.self, from: progressText, file: path)
        var modelState: [String: Tensor] = [:]
        var optimizerState: [String: Tensor] = [:]
        for (name, tensor) in try Safetensors.read(path: path).pairs {
            if name.hasPrefix("model.") {
                modelState[String(name.dropFirst("model.".count))] = tensor
            } else if name.hasPrefix("optimizer.") {
                optimizerState[String(name.dropFirst("optimizer.".count))] = tensor
            }
        }
        return RunCheckpoint(recipe: recipe, dataRoot: dataRoot, progress: progress, modelState: modelState,
                             optimizerState: optimizerState)
    }
}

/// JSON text for metadata and config files: sorted keys, snake_case, non-finite floats as strings.
enum JSONText {
    static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    /// `value` as a JSON object (for merging into `config.json`).
    static func object(_ value: some Encodable, file: String) throws -> [String: Any] {
        let data = try encoder().encode(value)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FineTuneError.runFolder(path: file, message: "cannot encode \(type(of: value)) as a JSON object")
        }
        return object
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String, file: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw FineTuneError.runFolder(path: file, message: "cannot decode \(T.self): \(error)")
        }
    }
}
