import Crypto
import Foundation
import TestFixtures
import TuneData
import TuneFormats

/// The all-MiniLM-L6-v2 model folder that `finetune models fetch minilm-l6` installs:
/// `$FINETUNE_HOME/models/minilm-l6` (`FINETUNE_HOME` defaults to `~/.cache/finetune`).
enum MiniLMFolder {
    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["FINETUNE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/finetune").path
        return URL(fileURLWithPath: home).appendingPathComponent("models/minilm-l6").path
    }

    static var isPresent: Bool {
        ["vocab.txt", "tokenizer.json"].allSatisfy {
            FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent($0).path)
        }
    }
}

/// The corpus of `reference/tokenizer_fixtures.py`, built the same way from the files Debian installs: every file of
/// /usr/share/common-licenses, then every fortune file of /usr/share/games/fortunes (not the `.dat` indexes nor the
/// `.u8` links), entries in name order, links followed, each real file once; cut into lines at `\n` bytes and into
/// paragraphs (runs of non-empty lines joined with `\n`). Files that are not UTF-8 are skipped.
struct ParityCorpus {
    struct File {
        let source: String
        let name: String
        let sha256: String
        let lines: [String]
        let paragraphs: [String]
    }

    static let folders = [("common-licenses", "/usr/share/common-licenses"), ("fortunes", "/usr/share/games/fortunes")]

    let files: [File]
    /// "source/name" of the files skipped because they are not UTF-8.
    let skipped: [String]

    static var isPresent: Bool {
        folders.allSatisfy { FileManager.default.fileExists(atPath: $0.1) }
            && FileManager.default.fileExists(atPath: "/usr/share/games/fortunes/fortunes")
    }

    init() throws {
        var files: [File] = []
        var skipped: [String] = []
        var seen = Set<String>()
        for (source, folder) in Self.folders {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
                .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for name in names where !name.hasSuffix(".dat") && !name.hasSuffix(".u8") {
                guard let real = realpath(folder + "/" + name, nil) else { continue }
                let path = String(cString: real)
                free(real)
                var isDirectory: ObjCBool = false
                guard !seen.contains(path), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
                      !isDirectory.boolValue else { continue }
                seen.insert(path)
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                guard String(validating: data, as: UTF8.self) != nil else {
                    skipped.append("\(source)/\(name)")
                    continue
                }
                var pieces = data.split(separator: 0x0A, omittingEmptySubsequences: false)
                if data.last == 0x0A { pieces.removeLast() }
                let lines = pieces.map { String(decoding: $0, as: UTF8.self) }
                files.append(File(source: source, name: name, sha256: sha256Hex(data), lines: lines,
                                  paragraphs: Self.paragraphs(lines)))
            }
        }
        self.files = files
        self.skipped = skipped
    }

    static func paragraphs(_ lines: [String]) -> [String] {
        var blocks: [String] = []
        var current: [String] = []
        for line in lines {
            if !line.isEmpty {
                current.append(line)
            } else if !current.isEmpty {
                blocks.append(current.joined(separator: "\n"))
                current = []
            }
        }
        if !current.isEmpty { blocks.append(current.joined(separator: "\n")) }
        return blocks
    }
}

/// The committed fixtures under `Fixtures/wordpiece`, written by `reference/tokenizer_fixtures.py`.
enum WordPieceFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/wordpiece")

    struct Corpus: Decodable {
        struct File: Decodable {
            let source: String
            let name: String
            let bytes: Int
            let lines: Int
            let paragraphs: Int
            let sha256: String
        }
        struct Skipped: Decodable {
            let source: String
            let name: String
        }
        struct Totals: Decodable {
            let lines: Int
            let ids: Int
            let paragraphs: Int
        }
        let tokenizersVersion: String
        let vocabTxtSha256: String
        let maxLength: Int
        let files: [File]
        let skippedFiles: [Skipped]
        let totals: Totals
    }

    struct HardCase: Decodable {
        let name: String
        let text: String
    }

    struct HardCaseExpectation: Decodable {
        let name: String
        let tokens: [String]
        let ids: [Int32]
        let idsTruncated: [Int32]
    }

    struct Unicode: Decodable {
        let tokenizersVersion: String
        let dropped: [[UInt32]]
        let toSpace: [UInt32]
        let whitespace: [UInt32]
        let punctuation: [[UInt32]]
        let cjk: [[UInt32]]
        let strippedMarks: [[UInt32]]
        let hangulSyllables: [UInt32]
        let nfd: [String: [UInt32]]
        let lowercase: [String: [UInt32]]
        let reorder: [Reordering]

        /// One combining mark beside a mark of another class: the string and what NFD made of it.
        struct Reordering: Decodable {
            let mark: UInt32
            let probe: [UInt32]
            let output: [UInt32]

            init(from decoder: Decoder) throws {
                var container = try decoder.unkeyedContainer()
                mark = try container.decode(UInt32.self)
                probe = try container.decode([UInt32].self)
                output = try container.decode([UInt32].self)
            }
        }
    }

    static func decode<Value: Decodable>(_ name: String, gzip: Bool = false) throws -> Value {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Value.self, from: Data(try bytes(name, gzip: gzip)))
    }

    static func bytes(_ name: String, gzip: Bool = false) throws -> [UInt8] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        guard gzip else { return Array(data) }
        return try data.withUnsafeBytes { try Zlib.gunzip($0) }
    }

    static func corpus() throws -> Corpus { try decode("corpus.json") }

    static func hardCases() throws -> [HardCase] {
        struct File: Decodable { let cases: [HardCase] }
        let file: File = try decode("hard_cases.json")
        return file.cases
    }

    static func hardCaseExpectations() throws -> [HardCaseExpectation] {
        struct File: Decodable { let cases: [HardCaseExpectation] }
        let file: File = try decode("hard_cases_expected.json")
        return file.cases
    }

    static func unicode() throws -> Unicode { try decode("unicode.json.gz", gzip: true) }
}

/// Reads the records of `lines.bin` in order.
struct LineRecords {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func nextCount() throws -> Int {
        var value = 0
        var shift = 0
        while true {
            guard offset < bytes.count else { throw RecordError.truncated }
            let byte = bytes[offset]
            offset += 1
            value |= Int(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    mutating func nextHash() throws -> [UInt8] {
        guard offset + 8 <= bytes.count else { throw RecordError.truncated }
        defer { offset += 8 }
        return Array(bytes[offset..<offset + 8])
    }

    enum RecordError: Error { case truncated }
}

/// The first 8 bytes of the SHA-256 of `ids` as little-endian int32, as the fixture script hashes them.
func idHash(_ ids: [Int32]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(ids.count * 4)
    for id in ids { withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) } }
    return Array(SHA256.hash(data: bytes).prefix(8))
}

func sha256Hex(_ data: some DataProtocol) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// `text` with control, format, space-like and combining characters written as `\u{…}`, for messages.
func visible(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate, .unassigned, .spaceSeparator, .lineSeparator,
             .paragraphSeparator, .nonspacingMark, .spacingMark, .enclosingMark:
            if scalar == " " { out.append(" ") } else { out += "\\u{\(String(scalar.value, radix: 16))}" }
        default:
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

extension Fixture {
    /// See ``MiniLMFolder``.
    static let miniLMFolder = Fixture("the all-MiniLM-L6-v2 model folder (\(MiniLMFolder.path))",
                                      remedy: "run `finetune models fetch minilm-l6` (scripts/test.sh does)") {
        MiniLMFolder.isPresent
    }

    /// See ``ParityCorpus``.
    static let parityCorpus = Fixture("the tokenizer parity corpus (/usr/share/common-licenses and Debian's fortunes)",
                                      remedy: "install Debian's fortunes package (scripts/setup.sh does)") {
        ParityCorpus.isPresent
    }
}
