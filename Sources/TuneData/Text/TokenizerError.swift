/// Errors thrown while loading a tokenizer's files. Each one names the file it concerns.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case readFailed(path: String, message: String)
    /// The file is not valid UTF-8: the first bad byte is at `byteOffset` (from the start of the file), on `line`
    /// (counted from 1).
    case invalidUTF8(path: String, line: Int, byteOffset: Int)
    /// The vocabulary holds no token.
    case emptyVocabulary(path: String)
    /// A special token the tokenizer needs (`[UNK]`, `[CLS]`, `[SEP]`, `[PAD]`) is not in the vocabulary.
    case missingSpecialToken(token: String, path: String)
    /// A configuration file (`tokenizer.json`, `tokenizer_config.json`) is malformed or asks for something this
    /// tokenizer does not do.
    case unsupportedConfiguration(path: String, message: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): file not found"
        case let .readFailed(path, message):
            return "\(path): could not read the file: \(message)"
        case let .invalidUTF8(path, line, byteOffset):
            return "\(path): line \(line) is not valid UTF-8 (first bad byte at offset \(byteOffset))"
        case let .emptyVocabulary(path):
            return "\(path): the vocabulary is empty"
        case let .missingSpecialToken(token, path):
            return "\(path): the vocabulary has no \(token) token, which the tokenizer needs"
        case let .unsupportedConfiguration(path, message):
            return "\(path): \(message)"
        }
    }
}
