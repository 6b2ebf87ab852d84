/// How Hugging Face's `BertModel` weight keys (`encoder.layer.3.attention.self.query.weight`) name a
/// ``BertEncoder``'s parameters (`layers.3.attention.query.weight`), both ways.
///
/// Reading also accepts what other BERT checkpoints carry: a `bert.` prefix (`BertForSequenceClassification`,
/// `BertForPreTraining`), LayerNorm `gamma`/`beta` (older files), and leaves out, by exact name, the position-id buffer
/// and the pooler and pre-training heads that the encoder does not use. Any other key stays as it is, so strict
/// loading names it.
public struct BertKeyMap: Sendable {
    /// The number of transformer layers the keys cover.
    public let layerCount: Int
    private let huggingFaceByPath: [String: String]
    private let pathByHuggingFace: [String: String]

    /// Keys of a `BertModel` file the encoder does not use: the position-id buffer and the pooler.
    public static let ignoredKeys: Set<String> = ["embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"]
    /// Prefixes of pre-training and task heads the encoder does not use (after the `bert.` prefix is removed).
    public static let ignoredPrefixes = ["cls.", "classifier."]

    public init(layerCount: Int) {
        self.layerCount = layerCount
        var table: [String: String] = [
            "embeddings.words.weight": "embeddings.word_embeddings.weight",
            "embeddings.positions.weight": "embeddings.position_embeddings.weight",
            "embeddings.tokenTypes.weight": "embeddings.token_type_embeddings.weight",
            "embeddings.norm.weight": "embeddings.LayerNorm.weight",
            "embeddings.norm.bias": "embeddings.LayerNorm.bias",
        ]
        let parts = BertProjection.allCases.map { ($0.path, $0.huggingFaceModule) }
            + [("attentionNorm", "attention.output.LayerNorm"), ("outputNorm", "output.LayerNorm")]
        for layer in 0..<layerCount {
            for (ours, theirs) in parts {
                for tensor in ["weight", "bias"] {
                    table["layers.\(layer).\(ours).\(tensor)"] = "encoder.layer.\(layer).\(theirs).\(tensor)"
                }
            }
        }
        huggingFaceByPath = table
        pathByHuggingFace = Dictionary(uniqueKeysWithValues: table.map { ($0.value, $0.key) })
    }

    /// The `BertModel` key of the encoder parameter at `path`, or `nil` when `path` is not one.
    public func huggingFaceKey(for path: String) -> String? { huggingFaceByPath[path] }

    /// The encoder path a weight file's `key` loads into; `nil` for keys left out on purpose; the key itself (to be
    /// reported by strict loading) for anything unknown.
    public func modelPath(forFileKey key: String) -> String? {
        var name = key.hasPrefix("bert.") ? String(key.dropFirst("bert.".count)) : key
        if Self.ignoredKeys.contains(name) || Self.ignoredPrefixes.contains(where: { name.hasPrefix($0) }) { return nil }
        if name.hasSuffix("LayerNorm.gamma") { name = String(name.dropLast("gamma".count)) + "weight" }
        if name.hasSuffix("LayerNorm.beta") { name = String(name.dropLast("beta".count)) + "bias" }
        return pathByHuggingFace[name] ?? key
    }

    /// The map strict loading applies.
    public var checkpointKeyMap: CheckpointKeyMap {
        let map = self
        return CheckpointKeyMap { map.modelPath(forFileKey: $0) }
    }
}
