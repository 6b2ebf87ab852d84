import TuneFormats
import TuneNN

/// Which weights a pretrained model starts from.
public enum WeightsSource: Sendable, Equatable {
    /// Random initialization.
    case none
    /// The ImageNet weights from the cache (install them with `finetune models fetch NAME`).
    case imagenet
    /// A weight file the user names (`.pth`, zip or legacy, or `.safetensors`).
    case file(String)
}

extension EfficientNetLite {
    /// EfficientNet-Lite with weights: `EfficientNetLite(variant: .lite0, weights: .imagenet, includeTop: false)`.
    ///
    /// Loading is strict: every model key must be present with its shape. Without the top, the checkpoint's
    /// classifier (`_fc.*`) is the only thing allowed to be left over.
    public convenience init(variant: EfficientNetLiteVariant, weights: WeightsSource, includeTop: Bool = true,
                            classCount: Int = 1000, cache: WeightCache = WeightCache()) throws {
        self.init(variant: variant, includeTop: includeTop, classCount: classCount)
        let path: String
        switch weights {
        case .none:
            return
        case .imagenet:
            path = try cache.installedPath(for: try ModelRegistry.entry(named: variant.name))
        case .file(let file):
            path = file
        }
        try loadPretrained(from: path, includeTop: includeTop)
    }

    /// Loads a checkpoint into this model (see the initializer for the rules).
    public func loadPretrained(from path: String, includeTop: Bool) throws {
        let state = try WeightFile.read(path: path).tensors
        if includeTop {
            try load(state, strict: true)
            return
        }
        let headless = state.filter { !$0.key.hasPrefix("_fc.") }
        try load(headless, strict: true)
    }
}
