import Foundation

/// The shape of a BERT-class encoder, read from a Hugging Face `config.json` (`model_type: "bert"`): how many
/// transformer layers, how wide, how many attention heads, the feed-forward width, the position and token-type
/// tables, the LayerNorm epsilon and the dropouts.
public struct BertConfiguration: Sendable, Equatable, Codable {
    /// Rows of the word-embedding table.
    public var vocabularySize: Int
    /// The width of every hidden state.
    public var hiddenSize: Int
    /// Transformer layers.
    public var layerCount: Int
    /// Attention heads per layer; divides ``hiddenSize``.
    public var headCount: Int
    /// The feed-forward width inside each layer.
    public var intermediateSize: Int
    /// The longest input the position table covers, in tokens.
    public var maximumPositions: Int
    /// Rows of the token-type (segment) table.
    public var typeVocabularySize: Int
    /// The LayerNorm epsilon.
    public var layerNormEpsilon: Float
    /// Dropout after the embeddings, the attention output and the feed-forward output, in training.
    public var hiddenDropout: Float
    /// Dropout on the attention probabilities, in training.
    public var attentionDropout: Float
    /// The id of `[PAD]`.
    public var paddingTokenID: Int

    /// all-MiniLM-L6-v2's shape: 6 layers, 384 wide, 12 heads, feed-forward 1536, 512 positions.
    public static let miniLML6 = BertConfiguration(vocabularySize: 30522, hiddenSize: 384, layerCount: 6, headCount: 12,
                                                   intermediateSize: 1536)

    public init(vocabularySize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
                maximumPositions: Int = 512, typeVocabularySize: Int = 2, layerNormEpsilon: Float = 1e-12,
                hiddenDropout: Float = 0.1, attentionDropout: Float = 0.1, paddingTokenID: Int = 0) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maximumPositions = maximumPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        self.paddingTokenID = paddingTokenID
    }

    /// The width of one attention head.
    public var headSize: Int { hiddenSize / headCount }

    /// Parameters of an encoder of this shape (embeddings and layers; no pooler).
    public var parameterCount: Int {
        let width = hiddenSize
        let embeddings = (vocabularySize + maximumPositions + typeVocabularySize) * width + 2 * width
        let attention = 4 * (width * width + width) + 2 * width
        let feedForward = 2 * width * intermediateSize + intermediateSize + width + 2 * width
        return embeddings + layerCount * (attention + feedForward)
    }

    /// Checks the numbers agree with each other.
    /// - Throws: ``BertConfigurationError/invalid(file:message:)`` naming `file`.
    public func validate(file: String) throws {
        func fail(_ message: String) -> BertConfigurationError { .invalid(file: file, message: message) }
        for (name, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("num_hidden_layers", layerCount),
                              ("num_attention_heads", headCount), ("intermediate_size", intermediateSize),
                              ("max_position_embeddings", maximumPositions), ("type_vocab_size", typeVocabularySize)]
        where value <= 0 {
            throw fail("\(name) is \(value); it must be positive")
        }
        guard hiddenSize % headCount == 0 else {
            throw fail("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
        guard layerNormEpsilon > 0, layerNormEpsilon.isFinite else { throw fail("layer_norm_eps \(layerNormEpsilon) must be positive") }
        for (name, rate) in [("hidden_dropout_prob", hiddenDropout), ("attention_probs_dropout_prob", attentionDropout)]
        where !(rate >= 0 && rate < 1) {
            throw fail("\(name) \(rate) must be in [0, 1)")
        }
        guard (0..<vocabularySize).contains(paddingTokenID) else {
            throw fail("pad_token_id \(paddingTokenID) is outside the vocabulary of \(vocabularySize)")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case maximumPositions = "max_position_embeddings"
        case typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps"
        case hiddenDropout = "hidden_dropout_prob"
        case attentionDropout = "attention_probs_dropout_prob"
        case paddingTokenID = "pad_token_id"
        case hiddenActivation = "hidden_act"
        case positionEmbeddingType = "position_embedding_type"
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try values.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try values.decode(Int.self, forKey: .hiddenSize)
        layerCount = try values.decode(Int.self, forKey: .layerCount)
        headCount = try values.decode(Int.self, forKey: .headCount)
        intermediateSize = try values.decode(Int.self, forKey: .intermediateSize)
        maximumPositions = try values.decodeIfPresent(Int.self, forKey: .maximumPositions) ?? 512
        typeVocabularySize = try values.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? 2
        layerNormEpsilon = try values.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
        hiddenDropout = try values.decodeIfPresent(Float.self, forKey: .hiddenDropout) ?? 0.1
        attentionDropout = try values.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? 0.1
        paddingTokenID = try values.decodeIfPresent(Int.self, forKey: .paddingTokenID) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode("bert", forKey: .modelType)
        try values.encode(vocabularySize, forKey: .vocabularySize)
        try values.encode(hiddenSize, forKey: .hiddenSize)
        try values.encode(layerCount, forKey: .layerCount)
        try values.encode(headCount, forKey: .headCount)
        try values.encode(intermediateSize, forKey: .intermediateSize)
        try values.encode(maximumPositions, forKey: .maximumPositions)
        try values.encode(typeVocabularySize, forKey: .typeVocabularySize)
        try values.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try values.encode(hiddenDropout, forKey: .hiddenDropout)
        try values.encode(attentionDropout, forKey: .attentionDropout)
        try values.encode(paddingTokenID, forKey: .paddingTokenID)
        try values.encode("gelu", forKey: .hiddenActivation)
        try values.encode("absolute", forKey: .positionEmbeddingType)
    }

    /// Reads a Hugging Face `config.json`. It must say `model_type: "bert"`, use the exact (erf) GELU and absolute
    /// position embeddings, and give consistent sizes.
    /// - Throws: ``BertConfigurationError`` naming the file and the key.
    public static func read(path: String) throws -> BertConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw BertConfigurationError.unreadable(file: path, message: "\(error.localizedDescription)")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw BertConfigurationError.invalid(file: path, message: "not JSON: \(error.localizedDescription)")
        }
        guard let fields = object as? [String: Any] else {
            throw BertConfigurationError.invalid(file: path, message: "the top level is not a JSON object")
        }
        let modelType = fields["model_type"] as? String
        guard modelType == "bert" else {
            throw BertConfigurationError.notBert(file: path, modelType: modelType)
        }
        if let activation = fields["hidden_act"] as? String, activation != "gelu" {
            throw BertConfigurationError.unsupported(file: path, key: "hidden_act", value: activation,
                                                     supported: "gelu (the exact, erf-based GELU)")
        }
        if let positions = fields["position_embedding_type"] as? String, positions != "absolute" {
            throw BertConfigurationError.unsupported(file: path, key: "position_embedding_type", value: positions,
                                                     supported: "absolute")
        }
        let configuration: BertConfiguration
        do {
            configuration = try JSONDecoder().decode(BertConfiguration.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw BertConfigurationError.invalid(file: path, message: "the key \(key.stringValue) is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw BertConfigurationError.invalid(file: path, message: "\(key): \(context.debugDescription)")
        } catch {
            throw BertConfigurationError.invalid(file: path, message: "\(error)")
        }
        try configuration.validate(file: path)
        return configuration
    }
}

/// Why a `config.json` does not describe a BERT encoder FineTune can build, naming the file.
public enum BertConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, message: String)
    case invalid(file: String, message: String)
    case notBert(file: String, modelType: String?)
    case unsupported(file: String, key: String, value: String, supported: String)

    public var description: String {
        switch self {
        case let .unreadable(file, message):
            return "\(file): cannot read it: \(message)"
        case let .invalid(file, message):
            return "\(file): not a usable BERT config: \(message)"
        case let .notBert(file, modelType):
            return "\(file): model_type is \(modelType.map { "'\($0)'" } ?? "missing"); FineTune's text encoders read BERT configs (model_type 'bert')"
        case let .unsupported(file, key, value, supported):
            return "\(file): \(key) '\(value)' is not supported (supported: \(supported))"
        }
    }
}
