import Foundation

/// Writes Debian's `fortunes` package as a text-classification data set: each fortune file (`computers`, `food`, …)
/// is a class, each fortune one text file, and a seeded, stratified fifth of each class goes to validation
/// (`out/train/<class>/NNNNN.txt`, `out/validation/<class>/NNNNN.txt`).
public enum FortunesExport {
    /// Where Debian's `fortunes` package installs its files.
    public static let defaultDirectory = "/usr/share/games/fortunes"
    /// The classes written when none are named: eight topics distinct enough to learn (74 to 1,050 fortunes each).
    public static let defaultClasses = ["computers", "food", "law", "love", "medicine", "politics", "science", "sports"]

    /// What was written.
    public struct Summary: Sendable, Equatable {
        public let classNames: [String]
        public let trainCounts: [Int]
        public let validationCounts: [Int]
    }

    /// Every fortune file in `directory` (files without an extension, beside their `.dat` index), sorted: what
    /// `--classes all` writes.
    public static func allClasses(directory: String = defaultDirectory) throws -> [String] {
        let url = URL(fileURLWithPath: directory)
        guard ImageFolder.isDirectory(url) else {
            throw DataError.fileNotFound(path: directory + " (install Debian's fortunes package: apt-get install fortunes)")
        }
        return try ImageFolder.visibleChildren(of: url).map(\.lastPathComponent)
            .filter { !$0.contains(".") && FileManager.default.fileExists(atPath: url.appendingPathComponent($0 + ".dat").path) }
    }

    /// The fortunes of one file: texts between lines holding only `%`, trimmed, empty ones left out.
    /// - Throws: ``DataError/fileNotFound(path:)`` (with the package to install), ``DataError/notUTF8(path:byteOffset:)``.
    public static func fortunes(inFile path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.fileNotFound(path: path + " (install Debian's fortunes package: apt-get install fortunes)")
        }
        let contents = try TextDecoding.readFile(path)
        var texts: [String] = [], current: [Substring] = []
        for line in contents.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "%" {
                texts.append(current.joined(separator: "\n"))
                current = []
            } else {
                current.append(line)
            }
        }
        texts.append(current.joined(separator: "\n"))
        return texts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// Writes the data set.
    /// - Parameters:
    ///   - classes: fortune file names; `nil` for ``defaultClasses``.
    ///   - limit: at most this many fortunes per class (the first ones), before the split.
    ///   - validationFraction: the share of each class held out for validation.
    ///   - overwrite: replace existing `train`/`validation` folders under `output` instead of refusing.
    public static func write(to output: String, classes: [String]? = nil, limit: Int? = nil, validationFraction: Double = 0.2,
                             seed: UInt64 = 0, overwrite: Bool = false, directory: String = defaultDirectory) throws -> Summary {
        let names = classes ?? defaultClasses
        guard !names.isEmpty, Set(names).count == names.count else {
            throw DataError.invalidArgument(message: "classes must be distinct and non-empty, got \(names)")
        }
        if let limit, limit < 2 { throw DataError.invalidArgument(message: "the limit must be at least 2, got \(limit)") }
        var samples: [LabelledTexts.Sample] = []
        for (index, name) in names.enumerated() {
            guard !name.contains("/"), !name.hasPrefix(".") else {
                throw DataError.invalidArgument(message: "'\(name)' is not a fortune file name")
            }
            let path = (directory as NSString).appendingPathComponent(name)
            let texts = try fortunes(inFile: path)
            samples += texts.prefix(limit ?? texts.count).enumerated().map { .init(text: $1, classIndex: index, origin: "\(path)#\($0)") }
        }
        let all = LabelledTexts(source: directory, classNames: names, samples: samples)
        let (training, validation) = try all.split(validationFraction: validationFraction, seed: seed)
        let root = URL(fileURLWithPath: output)
        for part in ["train", "validation"] {
            let folder = root.appendingPathComponent(part)
            guard FileManager.default.fileExists(atPath: folder.path) else { continue }
            guard overwrite else { throw DataError.badFolder(path: folder.path, message: "already exists; pass overwrite to replace it") }
            do { try FileManager.default.removeItem(at: folder) } catch {
                throw DataError.writeFailed(path: folder.path, message: error.localizedDescription)
            }
        }
        try write(training, to: root.appendingPathComponent("train"))
        try write(validation, to: root.appendingPathComponent("validation"))
        return Summary(classNames: names, trainCounts: training.classCounts, validationCounts: validation.classCounts)
    }

    private static func write(_ texts: LabelledTexts, to folder: URL) throws {
        for (number, sample) in texts.samples.enumerated() {
            let classFolder = folder.appendingPathComponent(texts.classNames[sample.classIndex])
            let file = classFolder.appendingPathComponent(String(format: "%05d.txt", number))
            do {
                try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
                try Data((sample.text + "\n").utf8).write(to: file, options: .atomic)
            } catch {
                throw DataError.writeFailed(path: file.path, message: error.localizedDescription)
            }
        }
    }
}
