import Foundation
import TuneData

/// The part of a run folder's `config.json` needed to rebuild and use the model, with no training code:
/// architecture, preprocessing and class names. Training writes more keys (recipe, data, metrics, versions) next to
/// these; decoding ignores them.
public struct SavedModelConfiguration: Codable, Sendable, Equatable {
    /// The network, enough to rebuild it before loading `model.safetensors`.
    public struct Architecture: Codable, Sendable, Equatable {
        /// The registry name of the base, e.g. `efficientnet-lite0`.
        public var base: String
        /// The head built on it.
        public var head: ClassifierHead
        /// The head's dropout rate.
        public var dropout: Float
        /// The number of classes.
        public var classCount: Int
        /// The square input side.
        public var imageSize: Int

        public init(base: String, head: ClassifierHead, dropout: Float, classCount: Int, imageSize: Int) {
            self.base = base
            self.head = head
            self.dropout = dropout
            self.classCount = classCount
            self.imageSize = imageSize
        }
    }

    /// How files become model inputs. In the file the normalization is spelled out flat (`normalization` name,
    /// `mean`, `standard_deviation`), so a person can read it and other tools need no FineTune types.
    public struct Preprocessing: Codable, Sendable, Equatable {
        public var height: Int
        public var width: Int
        public var resize: ResizeMethod
        public var centerCrop: Bool
        public var normalization: Normalization

        private enum CodingKeys: String, CodingKey {
            case height, width, resize, centerCrop, normalization, mean, standardDeviation, channelOrder
        }

        /// The record of `preprocessing`.
        public init(_ preprocessing: ImagePreprocessing) {
            height = preprocessing.height
            width = preprocessing.width
            resize = preprocessing.method
            centerCrop = preprocessing.centerCrop
            normalization = preprocessing.normalization
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            height = try container.decode(Int.self, forKey: .height)
            width = try container.decode(Int.self, forKey: .width)
            resize = try container.decode(ResizeMethod.self, forKey: .resize)
            centerCrop = try container.decode(Bool.self, forKey: .centerCrop)
            let name = try container.decode(String.self, forKey: .normalization)
            let mean = try container.decode([Float].self, forKey: .mean)
            let deviation = try container.decode([Float].self, forKey: .standardDeviation)
            // Written only when it is not RGB, so files from before it existed read as they always did.
            let order = try container.decodeIfPresent(Normalization.ChannelOrder.self, forKey: .channelOrder) ?? .rgb
            do {
                normalization = try Normalization(name: name, mean: mean, standardDeviation: deviation, channelOrder: order)
            } catch {
                throw DecodingError.dataCorruptedError(forKey: .normalization, in: container, debugDescription: "\(error)")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(height, forKey: .height)
            try container.encode(width, forKey: .width)
            try container.encode(resize, forKey: .resize)
            try container.encode(centerCrop, forKey: .centerCrop)
            try container.encode(normalization.name, forKey: .normalization)
            try container.encode(normalization.mean, forKey: .mean)
            try container.encode(normalization.standardDeviation, forKey: .standardDeviation)
            if normalization.channelOrder != .rgb { try container.encode(normalization.channelOrder, forKey: .channelOrder) }
        }

        /// The preprocessing this record describes.
        public func make() throws -> ImagePreprocessing {
            let result = ImagePreprocessing(height: height, width: width, method: resize, centerCrop: centerCrop,
                                            normalization: normalization)
            try result.validate()
            return result
        }
    }

    /// The format of the file; readers refuse versions they do not know.
    public var formatVersion: Int
    public var architecture: Architecture
    public var preprocessing: Preprocessing
    /// Class names in label order (sorted folder names at training time).
    public var classNames: [String]

    public init(architecture: Architecture, preprocessing: Preprocessing, classNames: [String]) {
        formatVersion = Self.currentFormatVersion
        self.architecture = architecture
        self.preprocessing = preprocessing
        self.classNames = classNames
    }

    /// The version written by this build.
    public static let currentFormatVersion = 1

    /// Reads `config.json`, naming the file and key on any problem.
    public static func read(path: String) throws -> SavedModelConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SavedModelError.unreadable(path: path, reason: error.localizedDescription)
        }
        if let fields = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
           let task = fields["task"] as? String, task != "image-classification" {
            throw SavedModelError.unsupportedTask(path: path, task: task)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let configuration: SavedModelConfiguration
        do {
            configuration = try decoder.decode(SavedModelConfiguration.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SavedModelError.invalidConfiguration(key: keyPath(context.codingPath + [key]), message: "missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw SavedModelError.invalidConfiguration(key: keyPath(context.codingPath), message: context.debugDescription)
        }
        guard configuration.formatVersion == currentFormatVersion else {
            throw SavedModelError.invalidConfiguration(key: "format_version",
                                                       message: "version \(configuration.formatVersion) is not supported (this build reads \(currentFormatVersion))")
        }
        guard configuration.classNames.count == configuration.architecture.classCount else {
            throw SavedModelError.invalidConfiguration(key: "class_names",
                                                       message: "\(configuration.classNames.count) names for \(configuration.architecture.classCount) classes")
        }
        return configuration
    }
}

/// A decoding path as the file spells it: `architecture.image_size`.
private func keyPath(_ path: [any CodingKey]) -> String {
    path.map { key in
        key.intValue.map(String.init) ?? key.stringValue.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }.joined(separator: ".")
}

/// Problems with a saved model folder, naming the file or key.
public enum SavedModelError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalidConfiguration(key: String, message: String)
    /// The run is of another task than image classification (`text-classification`), which this reader does not load.
    case unsupportedTask(path: String, task: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .invalidConfiguration(key, message): return "config.json: \(key): \(message)"
        case let .unsupportedTask(path, task):
            return "\(path): a \(task) run; evaluating and predicting with saved \(task) runs is not supported yet "
                + "(the run's report.html and config.json hold its validation results)"
        }
    }
}
