import Foundation

/// A WordPiece vocabulary: the tokens of a `vocab.txt`, one per line, each token's id its line number from 0.
///
/// Read as Hugging Face's `tokenizers` reads it: lines end at `\n`, trailing white space (a `\r` included) is not
/// part of the token, and a token listed twice keeps the id of its last line, so the earlier line's id has no token.
/// Tokens compare scalar for scalar, never by canonical equivalence.
public struct WordPieceVocabulary: Sendable {
    /// Where the tokens came from (a path, or a name given to ``init(tokens:source:)``), for messages.
    public let source: String
    /// The token of each id; `nil` for an id whose token appears again on a later line.
    private let tokensByID: [String?]
    /// The tokens, for lookups and WordPiece's search.
    let trie: TokenTrie

    /// The standard names of BERT's special tokens.
    public enum SpecialToken: String, CaseIterable, Sendable {
        case padding = "[PAD]"
        case unknown = "[UNK]"
        case classifier = "[CLS]"
        case separator = "[SEP]"
        case mask = "[MASK]"
    }

    /// Builds a vocabulary from tokens in id order. Throws ``TokenizerError/emptyVocabulary(path:)`` when there
    /// is none.
    public init(tokens: [String], source: String = "vocabulary") throws {
        guard !tokens.isEmpty else { throw TokenizerError.emptyVocabulary(path: source) }
        var trie = TokenTrie()
        var lastID: [Int32: Int32] = [:]   // trie node → the id it holds, to find tokens listed twice
        var byID = [String?](repeating: nil, count: tokens.count)
        for (index, token) in tokens.enumerated() {
            let id = Int32(index)
            let node = trie.insert(token.unicodeScalars, id: id)
            if let earlier = lastID[node] { byID[Int(earlier)] = nil }
            lastID[node] = id
            byID[index] = token
        }
        self.source = source
        self.tokensByID = byID
        self.trie = trie
    }

    /// Reads `vocab.txt` at `path`. Throws ``TokenizerError`` when the file is missing or unreadable, is not UTF-8
    /// (naming the line and byte offset), or holds no token.
    public init(contentsOfFile path: String) throws {
        let bytes = try readTextFile(path)
        guard !bytes.isEmpty else { throw TokenizerError.emptyVocabulary(path: path) }
        try validateUTF8(bytes, path: path)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if bytes.last == 0x0A { lines.removeLast() }
        try self.init(tokens: lines.map { Self.trimmingTrailingWhitespace(String(decoding: $0, as: UTF8.self)) },
                      source: path)
    }

    /// The number of ids, `0..<count` (the number of lines, duplicates included).
    public var count: Int { tokensByID.count }

    /// The id of `token`, if it is in the vocabulary (for a token listed twice, its last line).
    public func id(for token: String) -> Int32? {
        trie.node(for: token.unicodeScalars).flatMap { trie.id(at: $0) }
    }

    /// The id of a special token; throws ``TokenizerError/missingSpecialToken(token:path:)`` naming the file when
    /// it is missing.
    public func id(for special: SpecialToken) throws -> Int32 {
        try requiredID(for: special.rawValue)
    }

    /// The id of `token`; throws ``TokenizerError/missingSpecialToken(token:path:)`` when it is missing.
    func requiredID(for token: String) throws -> Int32 {
        guard let id = id(for: token) else { throw TokenizerError.missingSpecialToken(token: token, path: source) }
        return id
    }

    /// The token with id `id`; `nil` when out of range or when the token appears again later in the file.
    public func token(for id: Int32) -> String? {
        guard id >= 0, Int(id) < tokensByID.count else { return nil }
        return tokensByID[Int(id)]
    }

    /// A line without its trailing white space (as Rust's `trim_end`).
    private static func trimmingTrailingWhitespace(_ line: String) -> String {
        var scalars = line.unicodeScalars[...]
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}

/// The bytes of a text file; throws ``TokenizerError/fileNotFound(path:)`` or ``TokenizerError/readFailed(path:message:)``.
func readTextFile(_ path: String) throws -> Data {
    guard FileManager.default.fileExists(atPath: path) else { throw TokenizerError.fileNotFound(path: path) }
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw TokenizerError.readFailed(path: path, message: error.localizedDescription)
    }
}

/// Throws ``TokenizerError/invalidUTF8(path:line:byteOffset:)`` at the first byte of `bytes` that is not UTF-8.
func validateUTF8(_ bytes: Data, path: String) throws {
    if String(validating: bytes, as: UTF8.self) != nil { return }
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    var line = 1
    while true {
        switch parser.parseScalar(from: &iterator) {
        case let .valid(encoded):
            if encoded.count == 1, encoded.first == 0x0A { line += 1 }
            offset += encoded.count
        case .error:
            throw TokenizerError.invalidUTF8(path: path, line: line, byteOffset: offset)
        case .emptyInput:
            // Unreachable: the validation above failed, so a bad byte exists.
            throw TokenizerError.invalidUTF8(path: path, line: line, byteOffset: offset)
        }
    }
}
