import Foundation

/// The shape of the LoRA adapters ``BertEncoder/applyLoRA(_:generator:)`` puts on a BERT encoder: their rank, alpha
/// (the adapter's output is scaled by alpha / rank), the dropout on their input in training, and which projections of
/// every layer get one.
///
/// The defaults are those of FineTune's transformers + PEFT baseline: rank 8, alpha 16, dropout 0.1, query and value.
/// As in PEFT, alpha does not follow the rank: `rank=16` alone scales by 16 / 16 = 1.
///
/// The command line writes it as `rank=8,alpha=16,dropout=0.1,targets=query,value` (any subset of the keys, in any
/// order; `targets=all-linear` for all six projections):
/// ```swift
/// let lora = try LoRAConfiguration(parsing: "rank=8,targets=query,key,value")
/// try encoder.applyLoRA(lora)
/// ```
public struct LoRAConfiguration: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The adapters' rank r: A is `[r, in]`, B `[out, r]`.
    public var rank: Int
    /// LoRA's alpha: the adapter's output is multiplied by alpha / rank.
    public var alpha: Float
    /// The rate at which the adapters' input is dropped in training, in `[0, 1)`.
    public var dropout: Float
    /// The projections that get an adapter in every layer, in ``BertProjection`` order, each once.
    public private(set) var targets: [BertProjection]

    /// The name that stands for every projection.
    public static let allLinearName = "all-linear"

    /// - Parameter targets: repeated entries count once; the order does not matter.
    public init(rank: Int = 8, alpha: Float = 16, dropout: Float = 0.1, targets: [BertProjection] = [.query, .value]) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = BertProjection.allCases.filter(targets.contains)
    }

    /// What the adapters' output is multiplied by: alpha / rank.
    public var scaling: Float { alpha / Float(rank) }

    /// Whether every projection has an adapter.
    public var targetsAllLinear: Bool { targets == BertProjection.allCases }

    /// Reads the command-line form: comma-separated `key=value` settings, `rank`, `alpha`, `dropout` and `targets`
    /// (whose value is itself a comma-separated list, or `all-linear`). Settings not given keep their defaults (an empty
    /// text gives the defaults).
    /// - Throws: ``LoRAConfigurationError`` naming the setting and the value.
    public init(parsing text: String) throws {
        self.init()
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return }
        var seen = Set<String>()
        var targetNames: [String]?
        var currentKey: String?
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let equals = item.firstIndex(of: "=") else {
                // A bare word continues the target list; anywhere else it is a mistake.
                guard currentKey == "targets", !item.isEmpty else { throw LoRAConfigurationError.notASetting(item) }
                targetNames?.append(item)
                continue
            }
            let key = String(item[..<equals]).trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(item[item.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            guard Self.keys.contains(key) else { throw LoRAConfigurationError.unknownSetting(key) }
            guard seen.insert(key).inserted else { throw LoRAConfigurationError.repeatedSetting(key) }
            currentKey = key
            switch key {
            case "rank":
                guard let number = Int(value) else {
                    throw LoRAConfigurationError.invalidValue(setting: key, value: value, expected: "a whole number ≥ 1")
                }
                rank = number
            case "alpha":
                guard let number = Float(value) else {
                    throw LoRAConfigurationError.invalidValue(setting: key, value: value, expected: "a positive number")
                }
                alpha = number
            case "dropout":
                guard let number = Float(value) else {
                    throw LoRAConfigurationError.invalidValue(setting: key, value: value, expected: "a rate in [0, 1)")
                }
                dropout = number
            default:
                targetNames = [value]
            }
        }
        if let targetNames { targets = try Self.targets(named: targetNames) }
        try validate()
    }

    /// The settings the command-line form knows.
    static let keys: Set<String> = ["rank", "alpha", "dropout", "targets"]

    /// The projections `names` list (`all-linear` for all of them).
    static func targets(named names: [String]) throws -> [BertProjection] {
        var result = Set<BertProjection>()
        for name in names {
            if name == allLinearName {
                result.formUnion(BertProjection.allCases)
            } else if let projection = BertProjection(rawValue: name) {
                result.insert(projection)
            } else {
                let known = (BertProjection.allCases.map(\.rawValue) + [allLinearName]).joined(separator: ", ")
                throw LoRAConfigurationError.invalidValue(setting: "targets", value: name, expected: "one of \(known)")
            }
        }
        return BertProjection.allCases.filter(result.contains)
    }

    /// Checks every setting is in range.
    /// - Throws: ``LoRAConfigurationError/invalidValue(setting:value:expected:)`` naming the first one that is not.
    public func validate() throws {
        guard rank >= 1 else {
            throw LoRAConfigurationError.invalidValue(setting: "rank", value: "\(rank)", expected: "a whole number ≥ 1")
        }
        guard alpha > 0, alpha.isFinite else {
            throw LoRAConfigurationError.invalidValue(setting: "alpha", value: Self.format(alpha), expected: "a positive number")
        }
        guard dropout >= 0, dropout < 1 else {
            throw LoRAConfigurationError.invalidValue(setting: "dropout", value: Self.format(dropout), expected: "a rate in [0, 1)")
        }
        guard !targets.isEmpty else {
            throw LoRAConfigurationError.invalidValue(setting: "targets", value: "", expected: "at least one projection")
        }
    }

    /// The command-line form, e.g. `rank=8,alpha=16,dropout=0.1,targets=query,value`.
    public var description: String {
        let names = targetsAllLinear ? Self.allLinearName : targets.map(\.rawValue).joined(separator: ",")
        return "rank=\(rank),alpha=\(Self.format(alpha)),dropout=\(Self.format(dropout)),targets=\(names)"
    }

    /// `value` as the shortest decimal that reads back as it, without a trailing `.0` (`16`, `0.1`).
    static func format(_ value: Float) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
        return "\(value)"
    }

    private enum CodingKeys: String, CodingKey {
        case rank, alpha, dropout, targets
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rank: try values.decode(Int.self, forKey: .rank), alpha: try values.decode(Float.self, forKey: .alpha),
                  dropout: try values.decode(Float.self, forKey: .dropout),
                  targets: try values.decode([BertProjection].self, forKey: .targets))
    }
}

/// Why a LoRA setting cannot be used, naming the setting and its value.
public enum LoRAConfigurationError: Error, Equatable, CustomStringConvertible {
    /// A comma-separated item that is not `key=value` (and does not continue a `targets=` list).
    case notASetting(String)
    /// A key that is not `rank`, `alpha`, `dropout` or `targets`.
    case unknownSetting(String)
    /// A key given twice.
    case repeatedSetting(String)
    /// A value out of range or not of the right kind.
    case invalidValue(setting: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .notASetting(""):
            return "LoRA settings: an empty setting (two commas in a row, or one at either end)"
        case let .notASetting(item):
            return "LoRA settings: '\(item)' is not a setting (write key=value: rank=8,alpha=16,dropout=0.1,targets=query,value)"
        case let .unknownSetting(key):
            return "LoRA settings: '\(key)' is not a setting (rank, alpha, dropout, targets)"
        case let .repeatedSetting(key):
            return "LoRA settings: '\(key)' is given twice"
        case let .invalidValue(setting, value, expected):
            return "LoRA settings: \(setting) '\(value)' is not usable: expected \(expected)"
        }
    }
}
