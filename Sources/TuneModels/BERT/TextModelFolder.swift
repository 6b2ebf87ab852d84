import Foundation

/// A Hugging Face model folder as FineTune reads it: `config.json`, the weights (`model.safetensors`, else
/// `pytorch_model.bin`), the WordPiece vocabulary, and sentence-transformers' pooling choice when present. A folder of
/// the Hugging Face cache (`models--org--name`) resolves to the snapshot its `refs/main` names.
public struct TextModelFolder: Sendable, Equatable {
    /// The folder the files are in.
    public let path: String
    public var configurationPath: String { file("config.json") }
    /// The weight file found.
    public let weightsPath: String
    public var vocabularyPath: String { file("vocab.txt") }
    /// The pooling sentence-transformers' `1_Pooling/config.json` asks for; `nil` when the folder has none.
    public let pooling: TextPooling?

    /// Looks at `path`, or at the snapshot it holds when it is a Hugging Face cache folder.
    /// - Throws: ``TextModelFolderError`` naming the folder and the file it lacks.
    public init(path given: String) throws {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: given, isDirectory: &isFolder), isFolder.boolValue else {
            throw TextModelFolderError.notAFolder(path: given)
        }
        let path = Self.snapshot(in: given) ?? given
        self.path = path
        func join(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
        guard manager.fileExists(atPath: join("config.json")) else {
            throw TextModelFolderError.missingFile(folder: path, file: "config.json")
        }
        guard let weights = ["model.safetensors", "pytorch_model.bin"].map(join).first(where: manager.fileExists(atPath:)) else {
            throw TextModelFolderError.missingFile(folder: path, file: "model.safetensors (or pytorch_model.bin)")
        }
        weightsPath = weights
        guard manager.fileExists(atPath: join("vocab.txt")) else {
            throw TextModelFolderError.missingFile(folder: path, file: "vocab.txt")
        }
        pooling = try Self.pooling(at: join("1_Pooling/config.json"))
    }

    private func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The snapshot a Hugging Face cache folder (`models--org--name`, with `refs/main` and `snapshots/`) points at.
    static func snapshot(in folder: String) -> String? {
        let reference = (folder as NSString).appendingPathComponent("refs/main")
        guard let data = FileManager.default.contents(atPath: reference) else { return nil }
        let commit = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !commit.isEmpty, !commit.contains("/") else { return nil }
        let snapshot = (folder as NSString).appendingPathComponent("snapshots/\(commit)")
        return FileManager.default.fileExists(atPath: snapshot) ? snapshot : nil
    }

    /// Mean or CLS pooling from a sentence-transformers pooling config; `nil` when there is none.
    static func pooling(at path: String) throws -> TextPooling? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let fields = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TextModelFolderError.invalidFile(path: path, message: "not a JSON object")
        }
        if fields["pooling_mode_mean_tokens"] as? Bool == true { return .mean }
        if fields["pooling_mode_cls_token"] as? Bool == true { return .cls }
        throw TextModelFolderError.invalidFile(path: path, message: "it asks for a pooling FineTune does not offer (only mean and cls)")
    }
}

/// Why a folder is not a text model FineTune can load, naming the folder or file.
public enum TextModelFolderError: Error, Equatable, CustomStringConvertible {
    case notAFolder(path: String)
    case missingFile(folder: String, file: String)
    case invalidFile(path: String, message: String)

    public var description: String {
        switch self {
        case let .notAFolder(path): return "\(path) is not a folder (a text model is a folder with config.json, weights and vocab.txt)"
        case let .missingFile(folder, file): return "\(folder) has no \(file)"
        case let .invalidFile(path, message): return "\(path): \(message)"
        }
    }
}

extension TextModelFolder {
    /// Whether `name` is a registered text model or a folder with a `config.json` (a model folder or a Hugging Face
    /// cache folder).
    public static func isTextModel(_ name: String) -> Bool {
        if ModelRegistry.textEntry(named: name) != nil { return true }
        let folder = snapshot(in: name) ?? name
        return FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("config.json"))
    }

    /// The folder of a registered text model (installed and verified) or the folder `name` itself, and the token length
    /// it truncates to by default (the registry's, else 128 within the model's positions).
    public static func resolve(_ name: String, cache: WeightCache = WeightCache()) throws -> (folder: TextModelFolder, defaultMaximumLength: Int) {
        if let entry = ModelRegistry.textEntry(named: name) {
            return (try TextModelFolder(path: try cache.installedFolder(for: entry)), entry.defaultMaximumLength)
        }
        let folder = try TextModelFolder(path: name)
        let configuration = try BertConfiguration.read(path: folder.configurationPath)
        return (folder, min(128, configuration.maximumPositions))
    }
}
