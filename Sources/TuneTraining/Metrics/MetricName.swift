/// The name of a reported value in epoch logs, histories and callbacks: `loss`, `accuracy`, and their validation
/// counterparts `val_loss`, `val_accuracy` (Keras's names, as `history.csv` spells them). A string literal makes one.
public struct MetricName: Hashable, Sendable, Codable, CodingKeyRepresentable, ExpressibleByStringLiteral,
    CustomStringConvertible {
    /// The name as logs and files spell it.
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(stringLiteral value: String) { self.init(value) }

    /// The mean loss.
    public static let loss = MetricName("loss")
    /// Accuracy in the loss's label encoding.
    public static let accuracy = MetricName("accuracy")
    /// The loss on the validation data.
    public static let validationLoss = MetricName.loss.validation
    /// The accuracy on the validation data.
    public static let validationAccuracy = MetricName.accuracy.validation

    private static let validationPrefix = "val_"

    /// The same measure on the validation data (`val_<name>`).
    public var validation: MetricName { MetricName(Self.validationPrefix + rawValue) }

    /// Whether this is a validation measure.
    public var isValidation: Bool { rawValue.hasPrefix(Self.validationPrefix) }

    /// Whether lower is better, by Keras's convention: names ending in `loss`.
    public var isLoss: Bool { rawValue.hasSuffix("loss") }

    public var description: String { rawValue }

    /// Display order: training before validation, losses first, then by name.
    public static func displayOrder(_ lhs: MetricName, _ rhs: MetricName) -> Bool {
        (lhs.isValidation ? 1 : 0, lhs.isLoss ? 0 : 1, lhs.rawValue) < (rhs.isValidation ? 1 : 0, rhs.isLoss ? 0 : 1, rhs.rawValue)
    }

    public init(from decoder: Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var codingKey: CodingKey { MetricCodingKey(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) { self.init(codingKey.stringValue) }
}

private struct MetricCodingKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { return nil }
}
