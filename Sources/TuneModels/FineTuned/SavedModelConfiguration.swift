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

    /// How files become model inputs.
    public struct Preprocessing: Codable, Sendable, Equatable {
        public var height: Int
        public var width: Int
        /// A ``ResizeMethod`` raw value.
        public var resize: String
        public var centerCrop: Bool
        /// The normalization's name (`symmetric127`, …) and its per-channel mean and standard deviation.
        public var normalization: String
        public var mean: [Float]
        public var standardDeviation: [Float]

        /// The record of `preprocessing`.
        public init(_ preprocessing: ImagePreprocessing) {
            height = preprocessing.height
            width = preprocessing.width
            resize = preprocessing.method.rawValue
            centerCrop = preprocessing.centerCrop
            normalization = preprocessing.normalization.name
            mean = preprocessing.normalization.mean
            standardDeviation = preprocessing.normalization.standardDeviation
        }

        /// The preprocessing this record describes.
        public func make() throws -> ImagePreprocessing {
            guard let method = ResizeMethod(rawValue: resize) else {
                throw SavedModelError.invalidConfiguration(key: "preprocessing.resize", message: "unknown resize method \"\(resize)\"")
            }
            let normalization = try Normalization(name: normalization, mean: mean, standardDeviation: standardDeviation)
            let result = ImagePreprocessing(height: height, width: width, method: method, centerCrop: centerCrop,
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

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .invalidConfiguration(key, message): return "config.json: \(key): \(message)"
        }
    }
}
