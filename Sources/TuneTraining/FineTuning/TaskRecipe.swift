/// The task a recipe trains for, with that task's own options. Stored in `config.json` and checkpoints as
/// `{"kind": "image-classification", "options": {…}}`.
public enum TaskRecipe: Codable, Sendable, Equatable {
    /// Image folders → a pretrained image backbone with a new classifier head.
    case imageClassification(ImageClassificationRecipe)
    /// Labelled texts → a pretrained BERT-class encoder with a new classifier head.
    case textClassification(TextClassificationRecipe)

    /// The task's name in files and messages.
    public var kind: String {
        switch self {
        case .imageClassification: return "image-classification"
        case .textClassification: return "text-classification"
        }
    }

    /// Checks the task's options against `model`, naming the option at fault.
    func validate(model: String) throws {
        switch self {
        case .imageClassification(let options): try options.validate(model: model)
        case .textClassification(let options): try options.validate(model: model)
        }
    }

    private enum CodingKeys: String, CodingKey { case kind, options }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "image-classification":
            self = .imageClassification(try container.decode(ImageClassificationRecipe.self, forKey: .options))
        case "text-classification":
            self = .textClassification(try container.decode(TextClassificationRecipe.self, forKey: .options))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container,
                                                   debugDescription: "unknown task \"\(kind)\" (this build knows image-classification and text-classification)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .imageClassification(let options): try container.encode(options, forKey: .options)
        case .textClassification(let options): try container.encode(options, forKey: .options)
        }
    }
}
