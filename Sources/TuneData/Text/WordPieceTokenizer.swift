/// BERT's WordPiece tokenizer, giving the same ids as Hugging Face's `BertTokenizerFast` (and a `tokenizer.json`
/// with `BertNormalizer`, `BertPreTokenizer` and a `WordPiece` model) for every string.
///
/// Text is cut at the special tokens it spells (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`, case-sensitive, as
/// written), which keep their ids; the rest is cleaned, spaced around CJK ideographs, optionally lowercased and
/// stripped of accents, split at white space and punctuation, and each word cut greedily into the longest
/// vocabulary pieces from its start, continuation pieces carrying `##`. A word longer than
/// ``maxInputCharactersPerWord`` scalars, or one with a part no piece matches, becomes `[UNK]`.
///
/// Character classes follow `tokenizers`, which the slow Python `BertTokenizer` does not quite: it classifies with
/// Python's current Unicode data rather than Unicode 8.0 and spaces CJK extension E from U+2B820 rather than U+2B920,
/// so the two differ on a few rare characters.
///
/// ```swift
/// let tokenizer = try WordPieceTokenizer(modelFolder: "~/.cache/finetune/models/minilm-l6")
/// tokenizer.tokens("Héllo, world!")               // ["hello", ",", "world", "!"]
/// let encoded = tokenizer.encode("Héllo, world!", maxLength: 128)
/// let batch = TokenBatch([encoded, tokenizer.encode("Hi")], paddingID: tokenizer.specialIDs.padding)
/// ```
public struct WordPieceTokenizer: Sendable {
    /// The ids of the special tokens the tokenizer uses.
    public struct SpecialIDs: Sendable, Equatable {
        /// `[PAD]`, which pads batches.
        public let padding: Int32
        /// `[UNK]`, for words no piece sequence spells.
        public let unknown: Int32
        /// `[CLS]`, which starts every encoded text.
        public let classifier: Int32
        /// `[SEP]`, which ends every encoded text.
        public let separator: Int32
        /// `[MASK]`, when the vocabulary has it.
        public let mask: Int32?
    }

    /// The vocabulary.
    public let vocabulary: WordPieceVocabulary
    /// Whether text is lowercased.
    public let lowercase: Bool
    /// Whether accents are stripped (canonical decomposition, nonspacing marks dropped).
    public let stripAccents: Bool
    /// The longest word, in Unicode scalars, that is cut into pieces; a longer one becomes `[UNK]`.
    public let maxInputCharactersPerWord: Int
    /// The longest sequence the model takes (`model_max_length` of `tokenizer_config.json`), when known; ``encode(_:maxLength:)``
    /// truncates only to the length it is given.
    public let modelMaxLength: Int?
    /// The ids of the special tokens.
    public let specialIDs: SpecialIDs

    let normalizer: BertNormalizer
    /// The trie node after the continuation prefix (`##`), where continuation pieces start; `nil` without any.
    private let continuationNode: Int32?
    /// The tokens matched in raw text before normalization, longest first, as UTF-8, with their ids.
    private let literalTokens: [(bytes: [UInt8], id: Int32)]
    /// Which bytes start a literal token.
    private let literalFirstBytes: [Bool]

    /// A tokenizer over `vocabulary`, configured as BERT's (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`,
    /// `max_input_chars_per_word`): `stripAccents` `nil` follows `lowercase`, as in `transformers`.
    ///
    /// Throws ``TokenizerError/missingSpecialToken(token:path:)`` when the vocabulary lacks `[UNK]`, `[CLS]`, `[SEP]`
    /// or `[PAD]`.
    public init(vocabulary: WordPieceVocabulary, lowercase: Bool = true, stripAccents: Bool? = nil,
                separateChineseCharacters: Bool = true, cleanText: Bool = true, maxInputCharactersPerWord: Int = 100,
                continuationPrefix: String = "##", modelMaxLength: Int? = nil) throws {
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        self.modelMaxLength = modelMaxLength
        specialIDs = SpecialIDs(padding: try vocabulary.id(for: .padding), unknown: try vocabulary.id(for: .unknown),
                                classifier: try vocabulary.id(for: .classifier),
                                separator: try vocabulary.id(for: .separator),
                                mask: vocabulary.id(for: WordPieceVocabulary.SpecialToken.mask.rawValue))
        normalizer = BertNormalizer(cleanText: cleanText, separateChineseCharacters: separateChineseCharacters,
                                    stripAccents: self.stripAccents, lowercase: lowercase)
        continuationNode = continuationPrefix.isEmpty ? Optional(TokenTrie.root)
            : vocabulary.trie.node(for: continuationPrefix.unicodeScalars)
        var literals: [(bytes: [UInt8], id: Int32)] = []
        for special in WordPieceVocabulary.SpecialToken.allCases {
            if let id = vocabulary.id(for: special.rawValue) { literals.append((Array(special.rawValue.utf8), id)) }
        }
        literalTokens = literals.sorted { $0.bytes.count > $1.bytes.count }
        var firstBytes = [Bool](repeating: false, count: 256)
        for literal in literals { firstBytes[Int(literal.bytes[0])] = true }
        literalFirstBytes = firstBytes
    }

    /// The word pieces of `text`, without `[CLS]` and `[SEP]` (what `tokenizer.tokenize(text)` gives).
    public func tokens(_ text: String) -> [String] {
        var ids: [Int32] = []
        var workspace = Workspace()
        appendPieceIDs(of: text, to: &ids, workspace: &workspace)
        return ids.map { vocabulary.token(for: $0) ?? "" }
    }

    /// `text` as model input: `[CLS]`, its pieces, `[SEP]`. With `maxLength`, pieces past `maxLength − 2` are cut so
    /// that `[SEP]` still ends the sequence (a `maxLength` below 2 counts as 2).
    public func encode(_ text: String, maxLength: Int? = nil) -> TokenizedText {
        var workspace = Workspace()
        return encode(text, maxLength: maxLength, workspace: &workspace)
    }

    /// Each of `texts` encoded as by ``encode(_:maxLength:)``, padded with `[PAD]` to the longest.
    public func encodeBatch(_ texts: [String], maxLength: Int? = nil) -> TokenBatch {
        var workspace = Workspace()
        let encoded = texts.map { encode($0, maxLength: maxLength, workspace: &workspace) }
        return TokenBatch(encoded, paddingID: specialIDs.padding)
    }

    // MARK: Internals

    /// Buffers reused from one text to the next.
    struct Workspace {
        var normalized: [UInt32] = []
        var scratch: [UInt32] = []
    }

    func encode(_ text: String, maxLength: Int?, workspace: inout Workspace) -> TokenizedText {
        var ids: [Int32] = [specialIDs.classifier]
        ids.reserveCapacity(text.utf8.count / 3 + 8)
        appendPieceIDs(of: text, to: &ids, workspace: &workspace)
        var truncated = 0
        if let maxLength {
            let limit = max(maxLength, 2)
            if ids.count + 1 > limit {
                truncated = ids.count + 1 - limit
                ids.removeLast(truncated)
            }
        }
        ids.append(specialIDs.separator)
        return TokenizedText(ids: ids, truncatedCount: truncated)
    }

    /// Appends the ids of the pieces of `text`.
    func appendPieceIDs(of text: String, to ids: inout [Int32], workspace: inout Workspace) {
        let handled: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            appendPieceIDs(ofUTF8: bytes, to: &ids, workspace: &workspace)
            return true
        }
        if handled != nil { return }
        var copy = text
        copy.makeContiguousUTF8()
        copy.utf8.withContiguousStorageIfAvailable { appendPieceIDs(ofUTF8: $0, to: &ids, workspace: &workspace) }
    }

    private func appendPieceIDs(ofUTF8 bytes: UnsafeBufferPointer<UInt8>, to ids: inout [Int32],
                                workspace: inout Workspace) {
        var segmentStart = 0
        var index = 0
        while index < bytes.count {
            if literalFirstBytes[Int(bytes[index])], let literal = literalToken(in: bytes, at: index) {
                appendSegment(UnsafeBufferPointer(rebasing: bytes[segmentStart..<index]), to: &ids, workspace: &workspace)
                ids.append(literal.id)
                index += literal.length
                segmentStart = index
            } else {
                index += 1
            }
        }
        appendSegment(UnsafeBufferPointer(rebasing: bytes[segmentStart..<bytes.count]), to: &ids, workspace: &workspace)
    }

    /// The longest special token spelled at `index`, if any.
    private func literalToken(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (length: Int, id: Int32)? {
        for literal in literalTokens where index + literal.bytes.count <= bytes.count {
            var matches = true
            for (offset, byte) in literal.bytes.enumerated() where bytes[index + offset] != byte {
                matches = false
                break
            }
            if matches { return (literal.bytes.count, literal.id) }
        }
        return nil
    }

    /// Normalizes, splits and cuts into pieces one stretch of text between special tokens.
    private func appendSegment(_ bytes: UnsafeBufferPointer<UInt8>, to ids: inout [Int32], workspace: inout Workspace) {
        guard !bytes.isEmpty else { return }
        normalizer.normalize(bytes, into: &workspace.normalized, scratch: &workspace.scratch)
        workspace.normalized.withUnsafeBufferPointer { scalars in
            BertNormalizer.forEachWord(in: scalars) { word in
                appendWordPieces(of: UnsafeBufferPointer(rebasing: scalars[word]), to: &ids)
            }
        }
    }

    /// Cuts one word greedily into the longest pieces from its start; `[UNK]` for the whole word when it is too long
    /// or a part matches no piece.
    @inline(__always)
    private func appendWordPieces(of word: UnsafeBufferPointer<UInt32>, to ids: inout [Int32]) {
        guard word.count <= maxInputCharactersPerWord else {
            ids.append(specialIDs.unknown)
            return
        }
        let firstPiece = ids.count
        var position = 0
        while position < word.count {
            let startNode = position == 0 ? TokenTrie.root : continuationNode
            guard let startNode,
                  let match = vocabulary.trie.longestMatch(in: word, from: position, startNode: startNode) else {
                ids.removeLast(ids.count - firstPiece)
                ids.append(specialIDs.unknown)
                return
            }
            ids.append(match.id)
            position += match.length
        }
    }
}
