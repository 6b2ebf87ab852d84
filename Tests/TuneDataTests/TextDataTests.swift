import Foundation
import Testing
import TestFixtures
@testable import TuneData

extension TemporaryDirectory {
    /// Writes `text` as UTF-8 to `name`, creating folders on the way.
    @discardableResult
    func writeText(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension Fixture {
    /// Debian's `fortunes` package.
    static let fortunes = Fixture("Debian's fortunes package (\(FortunesExport.defaultDirectory))",
                                  remedy: "install it with `apt-get install fortunes` (scripts/setup.sh does)") {
        FileManager.default.fileExists(atPath: FortunesExport.defaultDirectory + "/computers")
    }
}

@Suite("Text data")
struct TextDataTests {
    @Test("A folder of class folders reads one text per .txt file, skipping empty texts by name")
    func folders() throws {
        let directory = try TemporaryDirectory()
        try directory.writeText("data/train/spam/a.txt", "Win money now")
        try directory.writeText("data/train/spam/b.txt", "  \n ")
        try directory.writeText("data/train/ham/c.txt", "Lunch at noon?")
        try directory.writeText("data/train/ham/notes.md", "# not a text sample")
        try directory.writeText("data/validation/ham/d.txt", "See you")
        try directory.writeText("data/validation/spam/e.txt", "Free prize")
        let splits = try TextDatasetSplits(path: directory.path("data"))
        #expect(splits.training.classNames == ["ham", "spam"])
        #expect(splits.training.samples.map(\.text) == ["Lunch at noon?", "Win money now"])
        #expect(splits.training.skipped.map(\.reason).sorted() == ["empty text", "not a .txt file"])
        #expect(splits.validation?.classCounts == [1, 1])
        #expect(splits.validationSource == .folder)
        #expect(TextDatasetSplits.isTextDataset(directory.path("data")))
    }

    @Test("A file that is not UTF-8 is named with the offset of its first bad byte")
    func notUTF8() throws {
        let directory = try TemporaryDirectory()
        try directory.writeText("data/a/ok.txt", "fine")
        try FileManager.default.createDirectory(atPath: directory.path("data/b"), withIntermediateDirectories: true)
        let bad = try directory.write("data/b/bad.txt", Array("caf".utf8) + [0xE9, 0x20, 0x6F])
        #expect(throws: DataError.notUTF8(path: bad, byteOffset: 3)) { try LabelledTexts(folder: directory.path("data")) }
        #expect(TextDecoding.firstInvalidByte([0xC0, 0x80]) == 0)           // overlong
        #expect(TextDecoding.firstInvalidByte([0xED, 0xA0, 0x80]) == 0)     // a surrogate
        #expect(TextDecoding.firstInvalidByte(Array("ok é 東 🙂".utf8)) == nil)
        #expect(TextDecoding.firstInvalidByte([0x61, 0xF0, 0x9F, 0x99]) == 1) // cut short
    }

    @Test("CSV honours quotes, doubled quotes and newlines inside fields; TSV and JSONL read the same rows")
    func tables() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.writeText("t.csv", "id,text,label\n1,\"Hello, \"\"world\"\"\nagain\",greeting\n2,Bye,farewell\n\n3,  ,farewell\n")
        let table = try TextTable(path: csv)
        #expect(table.rows.map(\.text) == ["Hello, \"world\"\nagain", "Bye"])
        #expect(table.rows.map(\.line) == [2, 4])
        #expect(table.skippedLines == [6])
        let tsv = try directory.writeText("t.tsv", "label\ttext\ngreeting\tHi there\n")
        #expect(try TextTable(path: tsv).rows == [TextTable.Row(text: "Hi there", label: "greeting", line: 2)])
        let jsonl = try directory.writeText("t.jsonl", "{\"text\": \"Hi\", \"label\": 1}\n\n{\"text\": \"Yo\", \"label\": \"2\"}\n")
        #expect(try TextTable(path: jsonl).rows.map(\.label) == ["1", "2"])
    }

    @Test("Bad tables are named by file and line: a missing column, a line that is not JSON, an open quote, a ragged row")
    func badTables() throws {
        let directory = try TemporaryDirectory()
        let noColumn = try directory.writeText("a.csv", "sentence,label\nhi,1\n")
        #expect(throws: DataError.badTable(path: noColumn, line: 1, message: "no column 'text' (columns: sentence, label)")) {
            try TextTable(path: noColumn)
        }
        #expect(try TextTable(path: noColumn, textColumn: "sentence").rows.count == 1)
        let notJSON = try directory.writeText("b.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{text: b}\n")
        #expect(throws: DataError.badTable(path: notJSON, line: 2, message: "not a JSON object")) { try TextTable(path: notJSON) }
        let open = try directory.writeText("c.csv", "text,label\n\"never closed,x\n")
        #expect(throws: DataError.badTable(path: open, line: 2, message: "a quote opened here is never closed")) { try TextTable(path: open) }
        let ragged = try directory.writeText("d.csv", "text,label\na,b,c\n")
        #expect(throws: DataError.badTable(path: ragged, line: 2, message: "3 fields where the header has 2")) { try TextTable(path: ragged) }
    }

    @Test("A validation label absent from training is refused, naming the file and line")
    func strangerLabel() throws {
        let directory = try TemporaryDirectory()
        try directory.writeText("data/train.csv", "text,label\na,x\nb,y\n")
        let validation = try directory.writeText("data/validation.csv", "text,label\nc,x\nd,z\n")
        #expect(throws: DataError.badTable(path: validation, line: 3, message: "label 'z' does not occur in the training data (classes: x, y)")) {
            try TextDatasetSplits(path: directory.path("data"))
        }
        try directory.writeText("folders/train/x/1.txt", "a")
        try directory.writeText("folders/train/y/1.txt", "b")
        try directory.writeText("folders/validation/z/1.txt", "c")
        #expect(throws: DataError.self) { try TextDatasetSplits(path: directory.path("folders")) }
    }

    @Test("One class, or a single file with a seeded stratified split, behave as for images")
    func splitsAndSingleClass() throws {
        let directory = try TemporaryDirectory()
        let single = try directory.writeText("one.csv", "text,label\na,x\nb,x\n")
        #expect(throws: DataError.self) { try TextDatasetSplits(path: single) }
        let rows = (0..<20).map { "text \($0),\($0 % 2 == 0 ? "even" : "odd")" }.joined(separator: "\n")
        let file = try directory.writeText("many.csv", "text,label\n" + rows + "\n")
        let first = try TextDatasetSplits(path: file, validationFraction: 0.2, seed: 7)
        let again = try TextDatasetSplits(path: file, validationFraction: 0.2, seed: 7)
        #expect(first.validation?.classCounts == [2, 2])
        #expect(first.training.classCounts == [8, 8])
        #expect(first.validation == again.validation)
        let disjoint = Set(first.training.samples.map(\.text)).isDisjoint(with: first.validation?.samples.map(\.text) ?? [])
        #expect(disjoint)
    }

    @Test("Fortunes become a seeded, stratified text data set, one class per fortune file", .requires(.fortunes))
    func fortunes() throws {
        let directory = try TemporaryDirectory()
        let summary = try FortunesExport.write(to: directory.path("f"), classes: ["food", "sports"], limit: 50, seed: 3)
        #expect(summary.trainCounts == [40, 40])
        #expect(summary.validationCounts == [10, 10])
        let splits = try TextDatasetSplits(path: directory.path("f"))
        #expect(splits.training.classNames == ["food", "sports"])
        #expect(splits.training.count == 80)
        #expect(throws: DataError.self) { try FortunesExport.write(to: directory.path("f"), classes: ["food", "sports"], limit: 50) }
        #expect(try FortunesExport.fortunes(inFile: FortunesExport.defaultDirectory + "/food").count == 198)
    }
}

@Suite("Text data set inspection")
struct TextDatasetInspectionTests {
    @Test("Inspection counts tokens per text, how many a maximum length truncates, and texts in both splits")
    func inspection() throws {
        let directory = try TemporaryDirectory()
        try directory.writeText("d/train/a/1.txt", "hello world")
        try directory.writeText("d/train/a/2.txt", "hello hello hello world")
        try directory.writeText("d/train/b/3.txt", "world")
        try directory.writeText("d/validation/a/4.txt", "world\n")
        try directory.writeText("d/validation/b/5.txt", "hello")
        let vocabulary = try WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world"])
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
        let splits = try TextDatasetSplits(path: directory.path("d"))
        let inspection = TextDatasetInspection(root: directory.path("d"), splits: splits, tokenizer: tokenizer, maximumLength: 4)
        #expect(inspection.splits.map(\.name) == ["train", "validation"])
        #expect(inspection.splits[0].tokenLengthPercentiles["max"] == 6)
        #expect(inspection.splits[0].tokenLengthPercentiles["p50"] == 4)
        #expect(inspection.splits[0].truncatedTexts == 1)
        #expect(inspection.duplicatesBetweenSplits == 1)
        #expect(inspection.text.contains("1 over --max-length 4"))
    }
}
