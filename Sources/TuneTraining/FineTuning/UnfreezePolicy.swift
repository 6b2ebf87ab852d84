/// What phase 2 of fine-tuning unfreezes, counted in the architecture's named blocks (not raw layers).
public enum UnfreezePolicy: Sendable, Equatable, Codable, CustomStringConvertible {
    /// No second phase: only the head is trained.
    case none
    /// The whole base.
    case all
    /// The last `n` of the backbone's named blocks and the layers after them (``Backbone/layersAfterBlocks``; for
    /// EfficientNet-Lite the head convolution and its BatchNorm).
    case lastBlocks(Int)

    /// Parses `none`, `all` or `last-blocks:N`.
    public init(parsing text: String) throws {
        switch text {
        case "none": self = .none
        case "all": self = .all
        default:
            let prefix = "last-blocks:"
            guard text.hasPrefix(prefix), let count = Int(text.dropFirst(prefix.count)), count > 0 else {
                throw FineTuneError.invalidOption(name: "unfreeze", message: "expected none, all or last-blocks:N (N ≥ 1), got \"\(text)\"")
            }
            self = .lastBlocks(count)
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .all: return "all"
        case .lastBlocks(let count): return "last-blocks:\(count)"
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
