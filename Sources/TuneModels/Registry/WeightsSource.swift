/// Which weights a pretrained model starts from.
public enum WeightsSource: Sendable, Equatable {
    /// Random initialization.
    case none
    /// The ImageNet weights from the cache (install them with `finetune models fetch NAME`).
    case imagenet
    /// A weight file the user names (`.pth`, zip or legacy, or `.safetensors`).
    case file(String)

    /// The file to load for `entry`'s model: the installed pretrained file, the named one, or `nil` for none.
    func path(for entry: ModelEntry, cache: WeightCache) throws -> String? {
        switch self {
        case .none: return nil
        case .imagenet: return try cache.installedPath(for: entry)
        case .file(let path): return path
        }
    }
}
