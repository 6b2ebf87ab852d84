/// What phase 2 of fine-tuning unfreezes: the architecture's named blocks, or — the Keras guide's own way — its last
/// layers as the weights' framework lists them.
public enum UnfreezePolicy: Sendable, Equatable, Codable, CustomStringConvertible {
    /// No second phase: only the head is trained.
    case none
    /// The whole base.
    case all
    /// The last `n` of the backbone's named blocks and the layers after them (``Backbone/layersAfterBlocks``; for
    /// EfficientNet-Lite the head convolution and its BatchNorm).
    case lastBlocks(Int)
    /// The last `n` layers of ``Backbone/frameworkLayers``: what `base_model.layers[-n:]` names in Keras (for VGG16
    /// without its top, `last-layers:4` is `block5_conv1`, `block5_conv2`, `block5_conv3` and `block5_pool`).
    case lastLayers(Int)

    /// Parses `none`, `all`, `last-blocks:N` or `last-layers:N`.
    public init(parsing text: String) throws {
        switch text {
        case "none": self = .none
        case "all": self = .all
        default:
            for (prefix, make) in [("last-blocks:", Self.lastBlocks), ("last-layers:", Self.lastLayers)] where text.hasPrefix(prefix) {
                if let count = Int(text.dropFirst(prefix.count)), count > 0 {
                    self = make(count)
                    return
                }
            }
            throw FineTuneError.invalidOption(name: "unfreeze", message: "expected none, all, last-blocks:N or last-layers:N "
                                              + "(N ≥ 1), got \"\(text)\"")
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .all: return "all"
        case .lastBlocks(let count): return "last-blocks:\(count)"
        case .lastLayers(let count): return "last-layers:\(count)"
        }
    }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
