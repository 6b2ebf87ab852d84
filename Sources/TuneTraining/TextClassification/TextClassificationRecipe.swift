import TuneModels

/// The text-classification part of a ``FineTuneRecipe``: how texts are read and cut, how token states are pooled, and
/// the new head.
public struct TextClassificationRecipe: Codable, Sendable, Equatable {
    /// Tokens per text, `[CLS]` and `[SEP]` included; `nil` means the model's default (128 for MiniLM-L6).
    public var maximumLength: Int?
    /// How token states become one vector per text; `nil` means the model folder's own choice, else mean.
    public var pooling: TextPooling?
    /// The column holding the texts, for CSV/TSV/JSONL data.
    public var textColumn = "text"
    /// The column holding the labels, for CSV/TSV/JSONL data.
    public var labelColumn = "label"
    /// The head's dropout rate.
    public var dropout: Float = 0.1
    /// Label smoothing of the cross-entropy (0 = off).
    public var labelSmoothing: Float = 0

    public init(maximumLength: Int? = nil) {
        self.maximumLength = maximumLength
    }

    /// Checks every value, and that `model` names a text model or a model folder, naming the option at fault.
    func validate(model: String) throws {
        func require(_ condition: Bool, _ name: String, _ message: String) throws {
            guard condition else { throw FineTuneError.invalidOption(name: name, message: message) }
        }
        if let maximumLength { try require(maximumLength >= 2 && maximumLength <= 8192, "max-length", "must be in 2…8192, got \(maximumLength)") }
        try require(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1), got \(dropout)")
        try require(labelSmoothing >= 0 && labelSmoothing < 1, "label-smoothing", "must be in [0, 1), got \(labelSmoothing)")
        try require(!textColumn.isEmpty && !labelColumn.isEmpty, "text-column", "column names must not be empty")
        try require(TextModelFolder.isTextModel(model), "model", "\(model) is neither a text model FineTune knows "
                    + "(\(ModelRegistry.textEntries.map(\.name).joined(separator: ", "))) nor a folder with config.json")
    }
}
