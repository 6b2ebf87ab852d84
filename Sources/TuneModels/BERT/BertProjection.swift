/// One of the six linear maps in each BERT layer: the attention's query, key, value and output projections and the
/// feed-forward network's two. These are what LoRA adapters can target (``LoRAConfiguration/targets``).
///
/// The raw values are the names the command line and ``LoRAConfiguration/init(parsing:)`` use.
public enum BertProjection: String, CaseIterable, Sendable, Codable {
    /// The attention's query projection (`attention.self.query`).
    case query
    /// The attention's key projection (`attention.self.key`).
    case key
    /// The attention's value projection (`attention.self.value`).
    case value
    /// The attention's output projection (Hugging Face's `attention.output.dense`).
    case attentionOutput = "attention-output"
    /// The feed-forward expansion (`intermediate.dense`, followed by GELU).
    case intermediate
    /// The feed-forward projection back to the hidden width (`output.dense`).
    case output

    /// The projection's path inside a ``BertLayer`` (`attention.query`, `intermediate`, …).
    public var path: String {
        switch self {
        case .query: return "attention.query"
        case .key: return "attention.key"
        case .value: return "attention.value"
        case .attentionOutput: return "attention.output"
        case .intermediate: return "intermediate"
        case .output: return "output"
        }
    }

    /// The projection's module name inside Hugging Face's `encoder.layer.N` (`attention.self.query`,
    /// `attention.output.dense`, `intermediate.dense`, `output.dense`).
    public var huggingFaceModule: String {
        switch self {
        case .query: return "attention.self.query"
        case .key: return "attention.self.key"
        case .value: return "attention.self.value"
        case .attentionOutput: return "attention.output.dense"
        case .intermediate: return "intermediate.dense"
        case .output: return "output.dense"
        }
    }
}
