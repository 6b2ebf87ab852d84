import Synchronization
import TuneData
import TuneNN

/// A model FineTune can build by name: its family, input size, preprocessing, pretrained weights and how to build it.
public struct ModelEntry: Sendable {
    /// The name users type (`efficientnet-lite0`).
    public let name: String
    /// The family the architecture belongs to (`EfficientNet-Lite`).
    public let family: String
    /// Whose build of the architecture it follows, where Keras and torchvision differ; `nil` for a family with one
    /// build (EfficientNet-Lite, a user's own).
    public let flavour: ArchitectureFlavour?
    /// The square input size the weights were trained at.
    public let inputSize: Int
    /// The normalization the weights expect on RGB 0…255 input.
    public let preprocessing: Normalization
    /// The published files of its pretrained weights (with and without the top; alternatives), none when there are none.
    public let weights: [PretrainedWeights]
    private let builder: @Sendable (_ includeTop: Bool, _ classCount: Int) -> any ImageBackbone

    /// An entry that builds its model (random weights) with `build(includeTop, classCount)`.
    public init(name: String, family: String, flavour: ArchitectureFlavour? = nil, inputSize: Int, preprocessing: Normalization,
                weights: [PretrainedWeights] = [], build: @escaping @Sendable (_ includeTop: Bool, _ classCount: Int) -> any ImageBackbone) {
        self.name = name.lowercased()
        self.family = family
        self.flavour = flavour
        self.inputSize = inputSize
        self.preprocessing = preprocessing
        self.weights = weights
        builder = build
    }

    /// A new model with random weights.
    public func build(includeTop: Bool = true, classCount: Int = 1000) -> any ImageBackbone {
        builder(includeTop, classCount)
    }

    /// A new model with `weights`: the one way every command and saved run makes a base.
    ///
    /// `.imagenet` reads the installed file from `cache` (``WeightCache/installedPath(for:includeTop:)``), `.file` the named
    /// file; both load strictly through the family's ``Backbone/checkpointKeyMap``.
    public func build(weights: WeightsSource, includeTop: Bool = true, classCount: Int = 1000,
                      cache: WeightCache = WeightCache()) throws -> any ImageBackbone {
        let model = build(includeTop: includeTop, classCount: classCount)
        if let path = try weights.path(for: self, includeTop: includeTop, cache: cache) { try model.loadCheckpoint(path: path) }
        return model
    }

    /// Parameters of the model with its 1000-class top (BatchNorm statistics excluded).
    public var parameterCount: Int { build().parameterCount() }
}

/// The models FineTune knows, by name: the built-in families, then any entries registered at run time (a user's own
/// architecture, or a test's).
public enum ModelRegistry {
    /// The built-in entries, family by family.
    static let builtIn: [ModelEntry] = EfficientNetLite.registryEntries + VGG.registryEntries + ResNet.registryEntries
        + MobileNet.registryEntries + MobileNetV2.registryEntries + InceptionV3.registryEntries

    private static let registered = Mutex<[ModelEntry]>([])

    /// Every entry, in display order: built-in first, then registered ones in registration order.
    public static var entries: [ModelEntry] { builtIn + registered.withLock { $0 } }

    /// Adds `entry` so every name lookup (the recipe, saved runs, `predict`) finds it.
    /// - Throws: ``ModelRegistryError/duplicateName(_:)`` when the name is taken.
    public static func register(_ entry: ModelEntry) throws {
        try registered.withLock { list in
            guard !(builtIn + list).contains(where: { $0.name == entry.name }) else {
                throw ModelRegistryError.duplicateName(entry.name)
            }
            list.append(entry)
        }
    }

    /// The text models FineTune can fetch by name.
    public static var textEntries: [TextModelEntry] { BertEncoder.registryEntries }

    /// The text model called `name` (case-insensitive), if there is one.
    public static func textEntry(named name: String) -> TextModelEntry? {
        textEntries.first { $0.name == name.lowercased() }
    }

    /// The entry called `name` (case-insensitive).
    /// - Throws: ``ModelRegistryError/unknownModel(name:known:)`` listing the names there are.
    public static func entry(named name: String) throws -> ModelEntry {
        let all = entries
        guard let found = all.first(where: { $0.name == name.lowercased() }) else {
            throw ModelRegistryError.unknownModel(name: name, known: all.map(\.name) + textEntries.map(\.name))
        }
        return found
    }
}

/// Errors from the model registry, naming the model.
public enum ModelRegistryError: Error, Equatable, CustomStringConvertible {
    case unknownModel(name: String, known: [String])
    case duplicateName(String)
    case noPretrainedWeights(model: String)

    public var description: String {
        switch self {
        case let .unknownModel(name, known):
            return "unknown model '\(name)'; known models: \(known.joined(separator: ", "))"
        case let .duplicateName(name):
            return "a model named '\(name)' is already registered"
        case let .noPretrainedWeights(model):
            return "\(model) has no published pretrained weights (give a weight file with --weights FILE, or train it from scratch)"
        }
    }
}
