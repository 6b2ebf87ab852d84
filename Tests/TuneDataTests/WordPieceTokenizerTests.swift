import Foundation
import Testing
@testable import TuneData

/// A small vocabulary: BERT's special tokens, then a few words and continuation pieces.
let smallVocabularyTokens = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "hello", "world", "un", "##aff", "##able", "##s", "cafe", ",", "!", ".", "a", "##a", "##aa", "我", "好",
    "e", "##e", "Hello", "é", "[", "]", "mask", "token", "##ization", "#",
]

func smallTokenizer(lowercase: Bool = true, stripAccents: Bool? = nil) throws -> WordPieceTokenizer {
    try WordPieceTokenizer(vocabulary: WordPieceVocabulary(tokens: smallVocabularyTokens), lowercase: lowercase,
                           stripAccents: stripAccents)
}

@Suite("WordPiece tokenizer")
struct WordPieceTokenizerTests {
    @Test("words are cut greedily into the longest pieces, continuations marked with ##")
    func greedyLongestMatch() throws {
        let tokenizer = try smallTokenizer()
        #expect(tokenizer.tokens("Hello unaffable worlds") == ["hello", "un", "##aff", "##able", "world", "##s"])
        #expect(tokenizer.tokens("tokenization") == ["token", "##ization"])
        #expect(tokenizer.tokens("aaaaa") == ["a", "##aa", "##aa"])
    }

    @Test("a word with a part no piece matches, or longer than 100 scalars, becomes [UNK]")
    func unknownWords() throws {
        let tokenizer = try smallTokenizer()
        #expect(tokenizer.tokens("unaffablex hello") == ["[UNK]", "hello"])
        #expect(tokenizer.tokens("xyz") == ["[UNK]"])
        let hundred = String(repeating: "a", count: 100)
        #expect(tokenizer.tokens(hundred).count == 51)
        #expect(tokenizer.tokens(hundred + "a") == ["[UNK]"])
        // The limit counts the word after normalization: é (one scalar, or two decomposed) stripped to e.
        #expect(tokenizer.tokens(String(repeating: "é", count: 100)).count == 100)
        #expect(tokenizer.tokens(String(repeating: "e\u{301}", count: 100)).count == 100)
        #expect(tokenizer.tokens(String(repeating: "é", count: 101)) == ["[UNK]"])
    }

    @Test("punctuation is split off and white space of every kind separates words")
    func splitting() throws {
        let tokenizer = try smallTokenizer()
        #expect(tokenizer.tokens("hello,world!") == ["hello", ",", "world", "!"])
        #expect(tokenizer.tokens("hello\u{00A0}world\u{3000}hello\tworld\r\nhello") == ["hello", "world", "hello", "world", "hello"])
        #expect(tokenizer.tokens("#hello") == ["#", "hello"])
        #expect(tokenizer.tokens("  \t ") == [])
    }

    @Test("cleaning drops control characters, NUL and U+FFFD without splitting the word")
    func cleaning() throws {
        let tokenizer = try smallTokenizer()
        #expect(tokenizer.tokens("hel\u{0}lo wor\u{FFFD}ld he\u{200B}llo wo\u{7}rld") == ["hello", "world", "hello", "world"])
    }

    @Test("lowercasing strips accents unless told otherwise; without lowercasing case and accents stay")
    func caseAndAccents() throws {
        #expect(try smallTokenizer().tokens("CAFÉ Hello é") == ["cafe", "hello", "e"])
        #expect(try smallTokenizer().tokens("Cafe\u{301}") == ["cafe"])
        #expect(try smallTokenizer(stripAccents: false).tokens("é") == ["é"])
        #expect(try smallTokenizer(lowercase: false).tokens("Hello hello é") == ["Hello", "hello", "é"])
        #expect(try smallTokenizer(lowercase: false, stripAccents: true).tokens("é") == ["e"])
    }

    @Test("CJK ideographs become words of their own")
    func chineseCharacters() throws {
        #expect(try smallTokenizer().tokens("我好hello") == ["我", "好", "hello"])
    }

    @Test("special tokens written in the text keep their ids; other spellings are plain text")
    func specialTokensInText() throws {
        let tokenizer = try smallTokenizer()
        #expect(tokenizer.tokens("hello [MASK] x[SEP]") == ["hello", "[MASK]", "[UNK]", "[SEP]"])
        #expect(tokenizer.tokens("[mask]") == ["[", "mask", "]"])
        #expect(tokenizer.encode("[CLS]").ids == [2, 2, 3])
    }

    @Test("encode adds [CLS] and [SEP], a mask of ones and segment zeros")
    func encodeAddsSpecialTokens() throws {
        let encoded = try smallTokenizer().encode("Hello, world!")
        #expect(encoded.ids == [2, 5, 12, 6, 13, 3])
        #expect(encoded.attentionMask == [1, 1, 1, 1, 1, 1])
        #expect(encoded.tokenTypeIDs == [0, 0, 0, 0, 0, 0])
        #expect(!encoded.wasTruncated)
        #expect(try smallTokenizer().encode("").ids == [2, 3])
    }

    @Test("truncation keeps [SEP] last and counts the pieces it cut")
    func truncation() throws {
        let tokenizer = try smallTokenizer()
        let cut = tokenizer.encode("hello world hello world", maxLength: 4)
        #expect(cut.ids == [2, 5, 6, 3])
        #expect(cut.truncatedCount == 2)
        #expect(tokenizer.encode("hello world", maxLength: 4).ids == [2, 5, 6, 3])
        #expect(tokenizer.encode("hello world", maxLength: 4).truncatedCount == 0)
        #expect(tokenizer.encode("hello world", maxLength: 0).ids == [2, 3])
    }

    @Test("a batch is padded to its longest text with [PAD] and a zero mask")
    func batchPadding() throws {
        let tokenizer = try smallTokenizer()
        let batch = tokenizer.encodeBatch(["hello world", "hello", ""], maxLength: nil)
        #expect(batch.batchSize == 3)
        #expect(batch.length == 4)
        #expect(batch.ids == [2, 5, 6, 3, 2, 5, 3, 0, 2, 3, 0, 0])
        #expect(batch.attentionMask == [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0])
        #expect(batch.tokenTypeIDs == [Int32](repeating: 0, count: 12))
        #expect(batch.lengths == [4, 3, 2])
        #expect(Array(batch.ids(row: 1)) == [2, 5, 3])
        let empty = TokenBatch([], paddingID: 0)
        #expect(empty.batchSize == 0)
        #expect(empty.length == 0)
    }

    @Test("any string encodes without crashing: random scalars, lone marks, long runs")
    func neverCrashes() throws {
        let tokenizer = try smallTokenizer()
        var generator = SystemRandomNumberGenerator()
        var pieces: [String] = ["", "\u{301}", "\u{301}\u{301}a", "[", "[MASK", "[MASK]]", "\u{0}", "\r\n", "🇫🇷"]
        for _ in 0..<300 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0..<60, using: &generator) {
                let value: UInt32 = Bool.random(using: &generator) ? UInt32.random(in: 0..<0x80, using: &generator)
                    : UInt32.random(in: 0..<0x110000, using: &generator)
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            pieces.append(String(scalars))
        }
        pieces.append(String(repeating: "é\u{323}", count: 5000))
        for text in pieces {
            let encoded = tokenizer.encode(text, maxLength: 16)
            #expect(encoded.ids.first == 2 && encoded.ids.last == 3 && encoded.count <= 16)
            #expect(tokenizer.tokens(text).allSatisfy { !$0.isEmpty })
        }
    }
}

@Suite("WordPiece vocabulary")
struct WordPieceVocabularyTests {
    @Test("ids are line numbers; lookups work both ways")
    func lookups() throws {
        let vocabulary = try WordPieceVocabulary(tokens: smallVocabularyTokens)
        #expect(vocabulary.count == smallVocabularyTokens.count)
        #expect(vocabulary.id(for: "hello") == 5)
        #expect(vocabulary.token(for: 5) == "hello")
        #expect(vocabulary.id(for: "missing") == nil)
        #expect(vocabulary.token(for: -1) == nil)
        #expect(vocabulary.token(for: 1000) == nil)
        #expect(try vocabulary.id(for: .classifier) == 2)
    }

    @Test("tokens compare scalar for scalar, not by canonical equivalence")
    func scalarExactTokens() throws {
        let vocabulary = try WordPieceVocabulary(tokens: ["é", "e\u{301}"])
        #expect(vocabulary.id(for: "é") == 0)
        #expect(vocabulary.id(for: "e\u{301}") == 1)
    }

    @Test("a token listed twice keeps its last id, and the earlier id has no token (as tokenizers does)")
    func duplicates() throws {
        let vocabulary = try WordPieceVocabulary(tokens: ["[PAD]", "hello", "world", "hello"])
        #expect(vocabulary.id(for: "hello") == 3)
        #expect(vocabulary.token(for: 1) == nil)
        #expect(vocabulary.token(for: 3) == "hello")
        #expect(vocabulary.count == 4)
    }

    @Test("vocab.txt lines end at \\n; trailing white space and \\r are not part of a token")
    func readsFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("vocab.txt", Array("[PAD]\r\nhello  \n\n##s\nlast".utf8))
        let vocabulary = try WordPieceVocabulary(contentsOfFile: path)
        #expect(vocabulary.count == 5)
        #expect(vocabulary.id(for: "[PAD]") == 0)
        #expect(vocabulary.id(for: "hello") == 1)
        #expect(vocabulary.id(for: "") == 2)
        #expect(vocabulary.id(for: "##s") == 3)
        #expect(vocabulary.id(for: "last") == 4)
        #expect(vocabulary.source == path)
    }

    @Test("a vocab.txt that is not UTF-8 names the file, the line and the byte offset")
    func invalidUTF8() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("vocab.txt", Array("[PAD]\nhello\nwor".utf8) + [0xFF, 0x41] + Array("\n".utf8))
        #expect(throws: TokenizerError.invalidUTF8(path: path, line: 3, byteOffset: 15)) {
            try WordPieceVocabulary(contentsOfFile: path)
        }
        let message = "\(TokenizerError.invalidUTF8(path: path, line: 3, byteOffset: 15))"
        #expect(message.contains(path) && message.contains("line 3") && message.contains("offset 15"))
    }

    @Test("an empty or missing vocabulary is a typed error")
    func emptyOrMissing() throws {
        let directory = try TemporaryDirectory()
        let empty = try directory.write("vocab.txt", [])
        #expect(throws: TokenizerError.emptyVocabulary(path: empty)) { try WordPieceVocabulary(contentsOfFile: empty) }
        #expect(throws: TokenizerError.emptyVocabulary(path: "vocabulary")) { try WordPieceVocabulary(tokens: []) }
        let missing = directory.path("nothing.txt")
        #expect(throws: TokenizerError.fileNotFound(path: missing)) { try WordPieceVocabulary(contentsOfFile: missing) }
    }

    @Test("a vocabulary without [UNK], [CLS], [SEP] or [PAD] cannot make a tokenizer, and the error names it")
    func missingSpecialTokens() throws {
        for missing in ["[UNK]", "[CLS]", "[SEP]", "[PAD]"] {
            let tokens = smallVocabularyTokens.filter { $0 != missing }
            let vocabulary = try WordPieceVocabulary(tokens: tokens, source: "test-vocab.txt")
            #expect(throws: TokenizerError.missingSpecialToken(token: missing, path: "test-vocab.txt")) {
                try WordPieceTokenizer(vocabulary: vocabulary)
            }
        }
        let withoutMask = try WordPieceVocabulary(tokens: smallVocabularyTokens.filter { $0 != "[MASK]" })
        #expect(try WordPieceTokenizer(vocabulary: withoutMask).specialIDs.mask == nil)
        #expect(throws: TokenizerError.missingSpecialToken(token: "[MASK]", path: "vocabulary")) {
            try withoutMask.id(for: .mask)
        }
    }
}

@Suite("WordPiece model folders")
struct WordPieceModelFolderTests {
    func folder(config: String?, tokenizerJSON: String?) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("vocab.txt", Array(smallVocabularyTokens.joined(separator: "\n").utf8))
        if let config { try directory.write("tokenizer_config.json", Array(config.utf8)) }
        if let tokenizerJSON { try directory.write("tokenizer.json", Array(tokenizerJSON.utf8)) }
        return directory
    }

    @Test("a folder with only vocab.txt lowercases and strips accents")
    func defaults() throws {
        let directory = try folder(config: nil, tokenizerJSON: nil)
        let tokenizer = try WordPieceTokenizer(modelFolder: directory.url.path)
        #expect(tokenizer.lowercase && tokenizer.stripAccents)
        #expect(tokenizer.modelMaxLength == nil)
        #expect(tokenizer.tokens("HÉLLO") == ["hello"])
    }

    @Test("tokenizer_config.json sets case, accents and the model's maximum length")
    func tokenizerConfig() throws {
        let config = #"""
            {"do_lower_case": false, "strip_accents": null, "model_max_length": 512, "unk_token": "[UNK]",
             "cls_token": {"content": "[CLS]", "lstrip": false}}
            """#
        let directory = try folder(config: config, tokenizerJSON: nil)
        let tokenizer = try WordPieceTokenizer(modelFolder: directory.url.path)
        #expect(!tokenizer.lowercase && !tokenizer.stripAccents)
        #expect(tokenizer.modelMaxLength == 512)
        #expect(tokenizer.tokens("Hello") == ["Hello"])
        let unlimited = try folder(config: #"{"model_max_length": 1000000000000000019884624838656}"#, tokenizerJSON: nil)
        #expect(try WordPieceTokenizer(modelFolder: unlimited.url.path).modelMaxLength == nil)
    }

    @Test("tokenizer.json's BertNormalizer and WordPiece settings are read")
    func tokenizerJSON() throws {
        let json = #"""
            {"added_tokens": [{"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false,
              "normalized": false, "special": true}],
             "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
              "strip_accents": false, "lowercase": true},
             "pre_tokenizer": {"type": "BertPreTokenizer"},
             "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "max_input_chars_per_word": 5, "vocab": {}}}
            """#
        let directory = try folder(config: nil, tokenizerJSON: json)
        let tokenizer = try WordPieceTokenizer(modelFolder: directory.url.path)
        #expect(tokenizer.lowercase && !tokenizer.stripAccents)
        #expect(tokenizer.maxInputCharactersPerWord == 5)
        #expect(tokenizer.tokens("aaaaa aaaaaa") == ["a", "##aa", "##aa", "[UNK]"])
    }

    @Test("another normalizer, model or added token is refused with the file named")
    func unsupported() throws {
        let other = try folder(config: nil, tokenizerJSON: #"{"normalizer": {"type": "NFKC"}, "model": {"type": "BPE"}}"#)
        let path = other.path("tokenizer.json")
        #expect(throws: TokenizerError.unsupportedConfiguration(path: path, message: "the normalizer is NFKC, not BertNormalizer")) {
            try WordPieceTokenizer(modelFolder: other.url.path)
        }
        let added = try folder(config: nil, tokenizerJSON: #"""
            {"added_tokens": [{"id": 5, "content": "hello", "normalized": true}],
             "normalizer": {"type": "BertNormalizer"}, "pre_tokenizer": {"type": "BertPreTokenizer"},
             "model": {"type": "WordPiece"}}
            """#)
        #expect(throws: TokenizerError.self) { try WordPieceTokenizer(modelFolder: added.url.path) }
        let renamed = try folder(config: #"{"unk_token": "<unk>"}"#, tokenizerJSON: nil)
        #expect(throws: TokenizerError.self) { try WordPieceTokenizer(modelFolder: renamed.url.path) }
        let broken = try folder(config: "{not json", tokenizerJSON: nil)
        #expect(throws: TokenizerError.self) { try WordPieceTokenizer(modelFolder: broken.url.path) }
    }
}
