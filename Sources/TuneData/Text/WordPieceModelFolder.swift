import Foundation

extension WordPieceTokenizer {
    /// The tokenizer of a Hugging Face model folder: `vocab.txt`, configured by `tokenizer.json` (its
    /// `BertNormalizer` and `WordPiece` model) and `tokenizer_config.json` (`do_lower_case`, `strip_accents`,
    /// `tokenize_chinese_chars`, `model_max_length`) when present. As in `transformers`, `tokenizer_config.json`'s
    /// settings win over `tokenizer.json`'s; without either file the tokenizer lowercases and strips accents.
    ///
    /// `tokenizer.json`'s own truncation and padding settings are not applied: ``encode(_:maxLength:)`` truncates
    /// only to the length it is given. Throws ``TokenizerError`` when a file is unreadable or malformed, or asks
    /// for something else than BERT's normalizer, pre-tokenizer and WordPiece (another normalizer, extra added
    /// tokens, other special-token names).
    public init(modelFolder: String) throws {
        let folder = URL(fileURLWithPath: NSString(string: modelFolder).expandingTildeInPath)
        let vocabulary = try WordPieceVocabulary(contentsOfFile: folder.appendingPathComponent("vocab.txt").path)
        var settings = FolderSettings()
        let tokenizerJSON = folder.appendingPathComponent("tokenizer.json").path
        if FileManager.default.fileExists(atPath: tokenizerJSON) {
            try settings.read(tokenizerJSON: tokenizerJSON, vocabulary: vocabulary)
        }
        let configJSON = folder.appendingPathComponent("tokenizer_config.json").path
        if FileManager.default.fileExists(atPath: configJSON) {
            try settings.read(tokenizerConfig: configJSON)
        }
        try self.init(vocabulary: vocabulary, lowercase: settings.lowercase, stripAccents: settings.stripAccents,
                      separateChineseCharacters: settings.separateChineseCharacters, cleanText: settings.cleanText,
                      maxInputCharactersPerWord: settings.maxInputCharactersPerWord,
                      continuationPrefix: settings.continuationPrefix, modelMaxLength: settings.modelMaxLength)
    }
}

/// The settings a model folder's JSON files give.
private struct FolderSettings {
    var lowercase = true
    var stripAccents: Bool?
    var separateChineseCharacters = true
    var cleanText = true
    var maxInputCharactersPerWord = 100
    var continuationPrefix = "##"
    var modelMaxLength: Int?

    /// `tokenizer.json`: the fast tokenizer's whole pipeline.
    mutating func read(tokenizerJSON path: String, vocabulary: WordPieceVocabulary) throws {
        let file: TokenizerFile = try decode(path)
        guard let normalizer = file.normalizer, normalizer.type == "BertNormalizer" else {
            throw TokenizerError.unsupportedConfiguration(
                path: path, message: "the normalizer is \(file.normalizer?.type ?? "null"), not BertNormalizer")
        }
        guard file.preTokenizer?.type == "BertPreTokenizer" else {
            throw TokenizerError.unsupportedConfiguration(
                path: path, message: "the pre-tokenizer is \(file.preTokenizer?.type ?? "null"), not BertPreTokenizer")
        }
        guard let model = file.model, model.type == "WordPiece" else {
            throw TokenizerError.unsupportedConfiguration(
                path: path, message: "the model is \(file.model?.type ?? "null"), not WordPiece")
        }
        if let unknown = model.unkToken, unknown != WordPieceVocabulary.SpecialToken.unknown.rawValue {
            throw TokenizerError.unsupportedConfiguration(path: path, message: "the unknown token is \(unknown), not [UNK]")
        }
        let specialNames = Set(WordPieceVocabulary.SpecialToken.allCases.map(\.rawValue))
        for added in file.addedTokens ?? [] {
            guard specialNames.contains(added.content), vocabulary.id(for: added.content) == Int32(added.id) else {
                throw TokenizerError.unsupportedConfiguration(
                    path: path, message: "added token \(added.content) (id \(added.id)) is not one of BERT's special "
                        + "tokens with its vocabulary id")
            }
            guard added.singleWord != true, added.lstrip != true, added.rstrip != true, added.normalized != true else {
                throw TokenizerError.unsupportedConfiguration(
                    path: path, message: "added token \(added.content) asks for single_word, lstrip, rstrip or "
                        + "normalized matching, which this tokenizer does not do")
            }
        }
        lowercase = normalizer.lowercase ?? lowercase
        stripAccents = normalizer.stripAccents
        separateChineseCharacters = normalizer.handleChineseChars ?? separateChineseCharacters
        cleanText = normalizer.cleanText ?? cleanText
        maxInputCharactersPerWord = model.maxInputCharsPerWord ?? maxInputCharactersPerWord
        continuationPrefix = model.continuingSubwordPrefix ?? continuationPrefix
    }

    /// `tokenizer_config.json`: the settings `transformers` builds the tokenizer with.
    mutating func read(tokenizerConfig path: String) throws {
        let config: TokenizerConfig = try decode(path)
        let names: [(String, TokenizerConfig.TokenName?, WordPieceVocabulary.SpecialToken)] = [
            ("unk_token", config.unkToken, .unknown), ("cls_token", config.clsToken, .classifier),
            ("sep_token", config.sepToken, .separator), ("pad_token", config.padToken, .padding),
            ("mask_token", config.maskToken, .mask),
        ]
        for (key, name, standard) in names {
            if let name, name.content != standard.rawValue {
                throw TokenizerError.unsupportedConfiguration(
                    path: path, message: "\(key) is \(name.content); this tokenizer uses \(standard.rawValue)")
            }
        }
        lowercase = config.doLowerCase ?? lowercase
        // transformers passes strip_accents (None when absent, which follows lowercasing) to the normalizer.
        stripAccents = config.stripAccents
        separateChineseCharacters = config.tokenizeChineseChars ?? separateChineseCharacters
        // transformers writes a huge number (1e30) when the model sets no limit.
        if let length = config.modelMaxLength, length >= 1, length < 1e9 { modelMaxLength = Int(length) }
    }

    private func decode<Value: Decodable>(_ path: String) throws -> Value {
        let data = try readTextFile(path)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(Value.self, from: data)
        } catch {
            throw TokenizerError.unsupportedConfiguration(path: path, message: "not readable JSON: \(error)")
        }
    }
}

/// The parts of `tokenizer.json` the tokenizer reads.
private struct TokenizerFile: Decodable {
    struct Normalizer: Decodable {
        let type: String
        let cleanText: Bool?
        let handleChineseChars: Bool?
        let stripAccents: Bool?
        let lowercase: Bool?
    }
    struct Component: Decodable {
        let type: String
    }
    struct Model: Decodable {
        let type: String
        let unkToken: String?
        let continuingSubwordPrefix: String?
        let maxInputCharsPerWord: Int?
    }
    struct AddedToken: Decodable {
        let id: Int
        let content: String
        let singleWord: Bool?
        let lstrip: Bool?
        let rstrip: Bool?
        let normalized: Bool?
    }
    let normalizer: Normalizer?
    let preTokenizer: Component?
    let model: Model?
    let addedTokens: [AddedToken]?
}

/// The parts of `tokenizer_config.json` the tokenizer reads.
private struct TokenizerConfig: Decodable {
    /// A special token's name: a string, or an object with its `content`.
    struct TokenName: Decodable {
        let content: String

        private enum Keys: String, CodingKey { case content }

        init(from decoder: Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                content = text
            } else {
                content = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .content)
            }
        }
    }
    let doLowerCase: Bool?
    let stripAccents: Bool?
    let tokenizeChineseChars: Bool?
    let modelMaxLength: Double?
    let unkToken: TokenName?
    let clsToken: TokenName?
    let sepToken: TokenName?
    let padToken: TokenName?
    let maskToken: TokenName?
}
