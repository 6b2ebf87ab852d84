/// Which weights a pretrained model starts from.
public enum WeightsSource: Sendable, Equatable {
    /// Random initialization.
    case none
    /// The published ImageNet weights, installed in the cache (`finetune models fetch NAME` or `models import NAME FILE`).
    case imagenet
    /// A weight file the user names (`.pth`, zip or legacy, `.safetensors`, Keras `.h5` or `.weights.h5`), loaded
    /// strictly through the family's key map with no digest check.
    case file(String)

    /// The file to load for `entry`'s model with or without its top: the installed pretrained file, the named one, or
    /// `nil` for none.
    func path(for entry: ModelEntry, includeTop: Bool, cache: WeightCache) throws -> String? {
        switch self {
        case .none: return nil
        case .imagenet: return try cache.installedPath(for: entry, includeTop: includeTop)
        case .file(let path): return path
        }
    }
}
