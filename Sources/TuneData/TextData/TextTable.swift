import Foundation

/// A file of labelled texts, one sample per row: CSV or TSV with a header row (RFC 4180 quoting: fields in double
/// quotes may hold separators, newlines and doubled quotes), or JSON Lines (one object per line).
public struct TextTable: Sendable {
    /// The formats read, chosen by extension.
    public enum Format: String, Sendable {
        case csv, tsv, jsonl

        /// The format of `path` by its extension (`.csv`, `.tsv`/`.tab`, `.jsonl`/`.ndjson`), if it is one.
        public init?(path: String) {
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "csv": self = .csv
            case "tsv", "tab": self = .tsv
            case "jsonl", "ndjson": self = .jsonl
            default: return nil
            }
        }
    }

    /// One row: the text, its label as written, and the line it starts on (1-based).
    public struct Row: Sendable, Equatable {
        public let text: String
        public let label: String
        public let line: Int
    }

    public let path: String
    public let rows: [Row]
    /// Rows left out (empty text), by line.
    public let skippedLines: [Int]

    /// Reads `path` taking the texts from `textColumn` and the labels from `labelColumn`.
    /// - Throws: ``DataError/notUTF8(path:byteOffset:)``; ``DataError/badTable(path:line:message:)`` naming the line for a
    ///   missing column, a row with the wrong number of fields, an unterminated quote or a JSON line that is not an
    ///   object; ``DataError/invalidArgument(message:)`` for a file that is not CSV, TSV or JSONL.
    public init(path: String, textColumn: String = "text", labelColumn: String = "label") throws {
        guard let format = Format(path: path) else {
            throw DataError.invalidArgument(message: "\(path): expected a .csv, .tsv or .jsonl file")
        }
        let contents = try TextDecoding.readFile(path)
        self.path = path
        var rows: [Row] = [], skipped: [Int] = []
        switch format {
        case .csv, .tsv:
            let records = try Self.delimitedRecords(contents, separator: format == .csv ? "," : "\t", path: path)
            guard let header = records.first else { throw DataError.badTable(path: path, line: nil, message: "the file is empty") }
            let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            let textIndex = try Self.column(textColumn, in: names, path: path)
            let labelIndex = try Self.column(labelColumn, in: names, path: path)
            for record in records.dropFirst() {
                if record.fields == [""] { continue }    // a blank line
                guard record.fields.count == names.count else {
                    throw DataError.badTable(path: path, line: record.line,
                                             message: "\(record.fields.count) fields where the header has \(names.count)")
                }
                let text = record.fields[textIndex], label = record.fields[labelIndex].trimmingCharacters(in: .whitespaces)
                guard !label.isEmpty else { throw DataError.badTable(path: path, line: record.line, message: "the label is empty") }
                if text.allSatisfy(\.isWhitespace) { skipped.append(record.line); continue }
                rows.append(Row(text: text, label: label, line: record.line))
            }
        case .jsonl:
            for (offset, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let number = offset + 1
                if line.allSatisfy(\.isWhitespace) { continue }
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                    throw DataError.badTable(path: path, line: number, message: "not a JSON object")
                }
                guard let text = object[textColumn] as? String else {
                    throw DataError.badTable(path: path, line: number, message: "no string field '\(textColumn)' (fields: \(object.keys.sorted().joined(separator: ", ")))")
                }
                let label: String
                switch object[labelColumn] {
                case let value as String: label = value
                case let value as NSNumber: label = value.stringValue
                default:
                    throw DataError.badTable(path: path, line: number, message: "no string or number field '\(labelColumn)' (fields: \(object.keys.sorted().joined(separator: ", ")))")
                }
                if text.allSatisfy(\.isWhitespace) { skipped.append(number); continue }
                rows.append(Row(text: text, label: label, line: number))
            }
        }
        self.rows = rows
        skippedLines = skipped
    }

    /// The rows as labelled texts: classes are the sorted labels, or `classNames` when given (a validation file takes
    /// its training file's).
    /// - Throws: ``DataError/badTable(path:line:message:)`` for a label `classNames` does not have, naming its line.
    public func labelledTexts(classNames given: [String]? = nil) throws -> LabelledTexts {
        let names = given ?? Set(rows.map(\.label)).sorted()
        let indices = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var samples: [LabelledTexts.Sample] = []
        for row in rows {
            guard let index = indices[row.label] else {
                throw DataError.badTable(path: path, line: row.line, message: "label '\(row.label)' does not occur in the training data "
                                         + "(classes: \(names.joined(separator: ", ")))")
            }
            samples.append(.init(text: row.text, classIndex: index, origin: "\(path):\(row.line)"))
        }
        return LabelledTexts(source: path, classNames: names, samples: samples,
                             skipped: skippedLines.map { .init(origin: "\(path):\($0)", reason: "empty text") })
    }

    private static func column(_ name: String, in names: [String], path: String) throws -> Int {
        guard let index = names.firstIndex(of: name) else {
            throw DataError.badTable(path: path, line: 1, message: "no column '\(name)' (columns: \(names.joined(separator: ", ")))")
        }
        return index
    }

    /// Splits delimited text into records of fields, honouring double quotes; each record keeps its first line.
    static func delimitedRecords(_ text: String, separator: Character, path: String) throws -> [(fields: [String], line: Int)] {
        var records: [(fields: [String], line: Int)] = []
        var fields: [String] = [], field = "", inQuotes = false, afterQuote = false
        var line = 1, recordLine = 1, quoteLine = 1
        var characters = text.makeIterator()
        var pending: Character? = nil
        func endRecord() {
            fields.append(field)
            records.append((fields, recordLine))
            fields = []
            field = ""
        }
        while let character = pending ?? characters.next() {
            pending = nil
            if inQuotes {
                if character == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { field.append("\"") } else { inQuotes = false; afterQuote = true; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty && !afterQuote:
                inQuotes = true
                quoteLine = line
            case separator:
                fields.append(field)
                field = ""
                afterQuote = false
            case "\n", "\r\n":
                endRecord()
                afterQuote = false
                line += 1
                recordLine = line
            default:
                guard !afterQuote else {
                    throw DataError.badTable(path: path, line: line, message: "text after a closing quote")
                }
                field.append(character)
            }
        }
        guard !inQuotes else { throw DataError.badTable(path: path, line: quoteLine, message: "a quote opened here is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }
}
