import TuneCore

/// How a weight file's keys become a model's parameter paths: each key is renamed, or left out on purpose (a
/// classifier the headless model does not have). A family keeps one map per weight source beside its model.
public struct CheckpointKeyMap: Sendable {
    private let rename: @Sendable (String) -> String?

    /// A map that sends each file key to a model path, or to `nil` to leave the tensor out.
    public init(_ rename: @escaping @Sendable (String) -> String?) {
        self.rename = rename
    }

    /// File keys are the model's paths.
    public static let identity = CheckpointKeyMap { $0 }

    /// File keys are the model's paths, except those under any of `prefixes` (e.g. `_fc.`), which are left out.
    public static func dropping(prefixes: [String]) -> CheckpointKeyMap {
        CheckpointKeyMap { key in prefixes.contains { key.hasPrefix($0) } ? nil : key }
    }

    /// The model path `key` loads into, or `nil` when it is left out.
    public func modelPath(for key: String) -> String? { rename(key) }

    /// `state` under the model's paths.
    /// - Throws: ``LoadError`` naming `file` when two file keys would load into the same path.
    public func apply(to state: [String: Tensor], file: String) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        var sources: [String: String] = [:]
        for key in state.keys.sorted() {
            guard let path = rename(key), let tensor = state[key] else { continue }
            if let earlier = sources[path] {
                throw LoadError(duplicateTargets: ["\(file): \(earlier) and \(key) both load into \(path)"])
            }
            sources[path] = key
            result[path] = tensor
        }
        return result
    }
}
