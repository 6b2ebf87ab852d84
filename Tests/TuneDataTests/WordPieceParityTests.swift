import Foundation
import Testing
import TestFixtures
@testable import TuneData

/// FineTune's WordPiece tokenizer against Hugging Face's `tokenizers` on all-MiniLM-L6-v2's vocabulary: the fixtures
/// under `Fixtures/wordpiece` come from `reference/tokenizer_fixtures.py`, which documents their format.
@Suite("WordPiece parity with Hugging Face tokenizers")
struct WordPieceParityTests {
    static let maxLength = 128

    func miniLM() throws -> WordPieceTokenizer { try WordPieceTokenizer(modelFolder: MiniLMFolder.path) }

    @Test("the model folder's tokenizer is configured as BertTokenizer's: lowercase, accents stripped, 512 long",
          .requires(.miniLMFolder))
    func configuration() throws {
        let tokenizer = try miniLM()
        #expect(tokenizer.lowercase && tokenizer.stripAccents)
        #expect(tokenizer.modelMaxLength == 512)
        #expect(tokenizer.vocabulary.count == 30522)
        #expect(tokenizer.specialIDs == .init(padding: 0, unknown: 100, classifier: 101, separator: 102, mask: 103))
        let vocabularyDigest = sha256Hex(try Data(contentsOf: URL(fileURLWithPath: MiniLMFolder.path + "/vocab.txt")))
        #expect(vocabularyDigest == (try WordPieceFixtures.corpus().vocabTxtSha256),
                "the model folder's vocab.txt is not the one the fixtures were made with")
    }

    @Test("every hand-written hard case gives Hugging Face's ids, with and without truncation at 128",
          .requires(.miniLMFolder))
    func hardCases() throws {
        let tokenizer = try miniLM()
        let cases = try WordPieceFixtures.hardCases()
        let expectations = try WordPieceFixtures.hardCaseExpectations()
        try #require(cases.map(\.name) == expectations.map(\.name), "hard_cases_expected.json is stale: rerun the script")
        var identical = 0
        var tokens = 0
        for (input, expected) in zip(cases, expectations) {
            let ids = tokenizer.encode(input.text).ids
            let truncated = tokenizer.encode(input.text, maxLength: Self.maxLength).ids
            let pieces = tokenizer.tokens(input.text)
            let expectedPieces = Array(expected.tokens.dropFirst().dropLast())
            #expect(ids == expected.ids, """
                hard case "\(input.name)": \(visible(input.text))
                  FineTune: \(ids) \(pieces)
                  HF:       \(expected.ids) \(expectedPieces)
                """)
            #expect(truncated == expected.idsTruncated, "hard case \"\(input.name)\" truncated at \(Self.maxLength)")
            #expect(pieces == expectedPieces, "hard case \"\(input.name)\" tokens")
            if ids == expected.ids && truncated == expected.idsTruncated && pieces == expectedPieces { identical += 1 }
            tokens += ids.count
        }
        print("WordPiece parity: \(identical) of \(cases.count) hard cases identical (\(tokens) ids)")
    }

    @Test("every line and paragraph of the corpus gives Hugging Face's ids, with and without truncation at 128",
          .requires(.miniLMFolder, .parityCorpus))
    func corpus() throws {
        let tokenizer = try miniLM()
        let fixture = try WordPieceFixtures.corpus()
        let corpus = try ParityCorpus()
        var records = LineRecords(try WordPieceFixtures.bytes("lines.bin.gz", gzip: true))

        // Which of the machine's files are the fixture's.
        let machine = Dictionary(corpus.files.map { ("\($0.source)/\($0.name)", $0) }, uniquingKeysWith: { a, _ in a })
        let expectedKeys = Set(fixture.files.map { "\($0.source)/\($0.name)" })
        var differences: [String] = []
        for file in fixture.files {
            let key = "\(file.source)/\(file.name)"
            if let here = machine[key] {
                if here.sha256 != file.sha256 { differences.append("\(key) differs (sha256 \(here.sha256.prefix(12))… here, \(file.sha256.prefix(12))… in the fixture)") }
            } else {
                differences.append("\(key) is missing here")
            }
        }
        for file in corpus.files where !expectedKeys.contains("\(file.source)/\(file.name)") {
            differences.append("\(file.source)/\(file.name) is not in the fixture")
        }
        #expect(differences.isEmpty, """
            the machine's corpus files differ from those the fixtures were made from (compared only the others):
            \(differences.joined(separator: "\n"))
            regenerate with reference/tokenizer_fixtures.py if the Debian packages changed
            """)
        #expect(corpus.skipped == fixture.skippedFiles.map { "\($0.source)/\($0.name)" }, "files skipped as not UTF-8")

        var lines = 0, ids = 0, identicalLines = 0, paragraphs = 0, identicalParagraphs = 0, truncatedChecks = 0
        var firstMismatch: String?
        var workspace = WordPieceTokenizer.Workspace()
        for file in fixture.files {
            let here = machine["\(file.source)/\(file.name)"]
            let comparable = here?.sha256 == file.sha256
            for lineIndex in 0..<file.lines {
                let expectedCount = try records.nextCount()
                let expectedHash = try records.nextHash()
                var expectedTruncated = expectedHash
                if expectedCount > Self.maxLength { expectedTruncated = try records.nextHash() }
                guard comparable, let text = here?.lines[lineIndex] else { continue }
                let encoded = tokenizer.encode(text, maxLength: nil, workspace: &workspace).ids
                let truncated = tokenizer.encode(text, maxLength: Self.maxLength, workspace: &workspace).ids
                lines += 1
                ids += encoded.count
                let same = encoded.count == expectedCount && idHash(encoded) == expectedHash
                    && idHash(truncated) == expectedTruncated
                if same {
                    identicalLines += 1
                    if expectedCount > Self.maxLength { truncatedChecks += 1 }
                } else if firstMismatch == nil {
                    firstMismatch = """
                        \(file.source)/\(file.name) line \(lineIndex + 1): \(visible(text))
                          FineTune: \(encoded.count) ids \(encoded) \(encoded.map { tokenizer.vocabulary.token(for: $0) ?? "?" })
                          HF:       \(expectedCount) ids, hash \(hex(expectedHash)) (FineTune's \(hex(idHash(encoded))))
                          HF's ids: reference/tokenizer_fixtures.py --model-folder \(MiniLMFolder.path) --show \(file.source)/\(file.name):\(lineIndex + 1)
                        """
                }
            }
            for paragraphIndex in 0..<file.paragraphs {
                let expectedCount = try records.nextCount()
                var expectedTruncated: [UInt8]?
                if expectedCount > Self.maxLength { expectedTruncated = try records.nextHash() }
                guard comparable, let text = here?.paragraphs[paragraphIndex] else { continue }
                paragraphs += 1
                let count = tokenizer.encode(text, maxLength: nil, workspace: &workspace).count
                let truncated = tokenizer.encode(text, maxLength: Self.maxLength, workspace: &workspace).ids
                let same = count == expectedCount && (expectedTruncated.map { idHash(truncated) == $0 } ?? true)
                if same {
                    identicalParagraphs += 1
                    if expectedTruncated != nil { truncatedChecks += 1 }
                } else if firstMismatch == nil {
                    firstMismatch = """
                        \(file.source)/\(file.name) paragraph \(paragraphIndex + 1): \(count) ids here, \(expectedCount) in HF's; \
                        truncated \(truncated)
                        """
                }
            }
        }
        #expect(records.isAtEnd, "lines.bin has records left over: it does not match corpus.json")
        #expect(firstMismatch == nil, "first mismatch: \(firstMismatch ?? "")")
        #expect(lines == fixture.totals.lines && ids == fixture.totals.ids && paragraphs == fixture.totals.paragraphs)
        let linePercent = lines == 0 ? 0 : 100 * Double(identicalLines) / Double(lines)
        print("""
            WordPiece parity: \(identicalLines) of \(lines) corpus lines identical (\(String(format: "%.4f", linePercent)) %), \
            \(ids) ids; \(identicalParagraphs) of \(paragraphs) paragraphs; \(truncatedChecks) texts checked truncated \
            at \(Self.maxLength) (tokenizers \(fixture.tokenizersVersion))
            """)
    }

    @Test("the corpus tokenizes fast: tokens per second printed", .requires(.miniLMFolder, .parityCorpus))
    func throughput() throws {
        let tokenizer = try miniLM()
        let texts = try ParityCorpus().files.flatMap(\.lines)
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        var best = Duration.seconds(1000)
        var ids = 0
        for _ in 0..<3 {
            var workspace = WordPieceTokenizer.Workspace()
            var count = 0
            let elapsed = ContinuousClock().measure {
                for text in texts { count += tokenizer.encode(text, maxLength: nil, workspace: &workspace).count }
            }
            best = min(best, elapsed)
            ids = count
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
        let rate = Double(ids) / seconds
        print("""
            WordPiece throughput: \(texts.count) lines, \(bytes) bytes, \(ids) ids in \(String(format: "%.3f", seconds)) s: \
            \(Int(rate)) ids/s, \(String(format: "%.1f", Double(bytes) / seconds / 1e6)) MB/s (best of 3, one thread)
            """)
        #expect(rate > 100_000, "tokenizing should run well above 100k ids/s")

        // Text that is mostly not ASCII (accents, CJK, other scripts, emoji): the hard cases, 200 times over.
        let hard = Array(repeating: try WordPieceFixtures.hardCases().map(\.text), count: 200).flatMap { $0 }
        let hardBytes = hard.reduce(0) { $0 + $1.utf8.count }
        var workspace = WordPieceTokenizer.Workspace()
        var hardIDs = 0
        let hardElapsed = ContinuousClock().measure {
            for text in hard { hardIDs += tokenizer.encode(text, maxLength: nil, workspace: &workspace).count }
        }
        let hardSeconds = Double(hardElapsed.components.seconds) + Double(hardElapsed.components.attoseconds) * 1e-18
        print("""
            WordPiece throughput on the hard cases ×200: \(hardBytes) bytes, \(hardIDs) ids in \
            \(String(format: "%.3f", hardSeconds)) s: \(Int(Double(hardIDs) / hardSeconds)) ids/s, \
            \(String(format: "%.1f", Double(hardBytes) / hardSeconds / 1e6)) MB/s
            """)
    }

    @Test("every code point is cleaned, split, decomposed, stripped and lowercased as Hugging Face does it")
    func everyCodePoint() throws {
        let reference = try WordPieceFixtures.unicode()
        func set(_ ranges: [[UInt32]]) -> Set<UInt32> { Set(ranges.flatMap { $0[0]...$0[1] }) }
        let dropped = set(reference.dropped), punctuation = set(reference.punctuation), cjk = set(reference.cjk)
        let marks = set(reference.strippedMarks), toSpace = Set(reference.toSpace), whitespace = Set(reference.whitespace)
        let hangul = reference.hangulSyllables[0]...reference.hangulSyllables[1]

        let cleaning = BertNormalizer(cleanText: true, separateChineseCharacters: false, stripAccents: false, lowercase: false)
        let spacing = BertNormalizer(cleanText: false, separateChineseCharacters: true, stripAccents: false, lowercase: false)
        let stripping = BertNormalizer(cleanText: false, separateChineseCharacters: false, stripAccents: true, lowercase: false)
        let lowering = BertNormalizer(cleanText: false, separateChineseCharacters: false, stripAccents: false, lowercase: true)
        var output: [UInt32] = [], scratch: [UInt32] = []
        func run(_ normalizer: BertNormalizer, _ value: UInt32) -> [UInt32] {
            let scalar = Unicode.Scalar(value)!
            let bytes = Array(String(scalar).utf8)
            bytes.withUnsafeBufferPointer { normalizer.normalize($0, into: &output, scratch: &scratch) }
            return output
        }
        var mismatches: [String: [UInt32]] = [:]
        func check(_ kind: String, _ value: UInt32, _ ok: Bool) { if !ok { mismatches[kind, default: []].append(value) } }
        var checked = 0
        for value in UInt32(0)...0x10FFFF {
            guard Unicode.Scalar(value) != nil else { continue }
            checked += 1
            let cleaned = run(cleaning, value)
            check("dropped by cleaning", value, cleaned.isEmpty == dropped.contains(value))
            check("made a space by cleaning", value, (cleaned == [0x20] && value != 0x20) == toSpace.contains(value))
            check("spaced as CJK", value, (run(spacing, value) == [0x20, value, 0x20]) == cjk.contains(value))
            var words: [Range<Int>] = []
            [0x61, value, 0x62].withUnsafeBufferPointer { BertNormalizer.forEachWord(in: $0) { words.append($0) } }
            check("white space", value, (words == [0..<1, 2..<3]) == whitespace.contains(value))
            check("punctuation", value, (words == [0..<1, 1..<2, 2..<3]) == punctuation.contains(value))
            var decomposed: [UInt32] = []
            BertNormalizer.appendCanonicalDecomposition(of: [value], to: &decomposed)
            let expectedNFD: [UInt32]
            if hangul.contains(value) {
                expectedNFD = decomposed   // the script checked HF's against the arithmetic decomposition
                var arithmetic: [UInt32] = []
                BertCharacters.appendDecomposition(of: value, to: &arithmetic)
                check("Hangul decomposition", value, arithmetic.count >= 2 && arithmetic == decomposed)
            } else {
                expectedNFD = reference.nfd[String(value)] ?? [value]
            }
            check("decomposition", value, decomposed == expectedNFD)
            // A mark with a decomposition is never tested itself: stripping sees what it decomposes to.
            if expectedNFD == [value] {
                check("stripped mark", value, BertCharacters.isStrippedMark(value) == marks.contains(value))
            }
            check("accent stripping", value, run(stripping, value) == expectedNFD.filter { !marks.contains($0) })
            check("lowercase", value, run(lowering, value) == (reference.lowercase[String(value)] ?? [value]))
        }
        for entry in reference.reorder {
            var decomposed: [UInt32] = []
            BertNormalizer.appendCanonicalDecomposition(of: entry.probe, to: &decomposed)
            check("canonical order", entry.mark, decomposed == entry.output)
        }
        let report = mismatches.sorted { $0.key < $1.key }.map { kind, values in
            "\(kind): \(values.count) code points, first \(values.prefix(12).map { "U+" + String($0, radix: 16, uppercase: true) })"
        }
        #expect(mismatches.isEmpty, "differences from tokenizers \(reference.tokenizersVersion):\n\(report.joined(separator: "\n"))")
        print("WordPiece parity: \(checked) code points checked, \(mismatches.values.reduce(0) { $0 + $1.count }) differences; "
              + "\(reference.reorder.count) combining marks in canonical order")
    }
}
