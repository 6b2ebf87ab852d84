import TuneData
import TuneNN

/// A model FineTune can build by name, with its input size, preprocessing and pretrained weights.
public struct ModelEntry: Sendable {
    /// The name users type (`efficientnet-lite0`).
    public let name: String
    /// The square input size the weights were trained at.
    public let inputSize: Int
    /// The normalization the weights expect on RGB 0…255 input.
    public let preprocessing: Normalization
    /// Where ImageNet weights come from, or `nil` when the architecture has none.
    public let weights: PretrainedWeights?
    /// The EfficientNet-Lite row this entry builds.
    public let variant: EfficientNetLiteVariant

    /// A new model (random weights until loaded).
    public func build(includeTop: Bool = true, classCount: Int = 1000) -> EfficientNetLite {
        EfficientNetLite(variant: variant, includeTop: includeTop, classCount: classCount)
    }

    /// Parameters of the model with its 1000-class top (BatchNorm statistics excluded).
    public var parameterCount: Int { build().parameterCount() }
}

/// The models FineTune knows, by name.
public enum ModelRegistry {
    /// Every entry, in display order.
    public static let entries: [ModelEntry] = [
        entry(.lite0, weights: .efficientNetLite(0, digest: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db")),
        entry(.lite1, weights: .efficientNetLite(1, digest: "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850")),
        entry(.lite2, weights: .efficientNetLite(2, digest: "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d")),
        entry(.lite3, weights: nil),
        entry(.lite4, weights: nil),
    ]

    /// The entry called `name`.
    /// - Throws: ``ModelRegistryError/unknownModel(name:known:)`` listing the names there are.
    public static func entry(named name: String) throws -> ModelEntry {
        guard let found = entries.first(where: { $0.name == name.lowercased() }) else {
            throw ModelRegistryError.unknownModel(name: name, known: entries.map(\.name))
        }
        return found
    }

    private static func entry(_ variant: EfficientNetLiteVariant, weights: PretrainedWeights?) -> ModelEntry {
        ModelEntry(name: variant.name, inputSize: variant.inputSize, preprocessing: .symmetric127, weights: weights,
                   variant: variant)
    }
}

/// Errors from the model registry and the weight cache, naming the model, file or command.
public enum ModelRegistryError: Error, Equatable, CustomStringConvertible {
    case unknownModel(name: String, known: [String])
    case noPretrainedWeights(model: String)
    case notCached(model: String, path: String)
    case checksumMismatch(path: String, expected: String, found: String)
    case fetchFailed(model: String, command: String, message: String)

    public var description: String {
        switch self {
        case let .unknownModel(name, known):
            return "unknown model '\(name)'; known models: \(known.joined(separator: ", "))"
        case let .noPretrainedWeights(model):
            return "\(model) has no pretrained weights (its architecture can still be built and trained from scratch)"
        case let .notCached(model, path):
            return "the weights of \(model) are not in the cache (\(path)); run `finetune models fetch \(model)`"
        case let .checksumMismatch(path, expected, found):
            return "\(path): SHA-256 \(found) does not match the published \(expected)"
        case let .fetchFailed(model, command, message):
            return "fetching \(model) failed: `\(command)`: \(message)"
        }
    }
}
