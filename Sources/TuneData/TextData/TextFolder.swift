import Foundation

extension LabelledTexts {
    /// The extensions read as one text per file.
    static let textFileExtensions: Set<String> = ["txt", "text"]

    /// Reads `root/<class>/*.txt`, one text per file (sub-folders searched; hidden entries ignored). Class indices
    /// are the sorted folder names, or `classNames` when given (a validation folder takes its training folder's).
    /// Empty texts (only whitespace) are skipped and named in ``skipped``; other files are skipped too.
    /// - Throws: ``DataError/badFolder(path:message:)`` for a missing root or class folder, or a class without texts;
    ///   ``DataError/notUTF8(path:byteOffset:)`` naming the file and byte.
    public init(folder root: String, classNames given: [String]? = nil) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) else {
            throw DataError.badFolder(path: root, message: "folder not found")
        }
        guard isFolder.boolValue else { throw DataError.badFolder(path: root, message: "not a folder") }
        let rootURL = URL(fileURLWithPath: root)
        let children = try ImageFolder.visibleChildren(of: rootURL)
        let names = given ?? children.filter(ImageFolder.isDirectory).map(\.lastPathComponent).sorted()
        guard !names.isEmpty else {
            throw DataError.badFolder(path: root, message: "no class folders: expected \(root)/<class>/<text files>.txt")
        }
        var samples: [Sample] = [], skipped: [Skipped] = []
        for (index, name) in names.enumerated() {
            let folder = rootURL.appendingPathComponent(name)
            guard ImageFolder.isDirectory(folder) else {
                throw DataError.badFolder(path: folder.path, message: "class folder '\(name)' is missing")
            }
            var found = 0
            for path in try Self.files(under: folder) {
                guard Self.textFileExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased()) else {
                    skipped.append(Skipped(origin: path, reason: "not a .txt file"))
                    continue
                }
                let text = try TextDecoding.readFile(path)
                guard !text.allSatisfy(\.isWhitespace) else {
                    skipped.append(Skipped(origin: path, reason: "empty text"))
                    continue
                }
                samples.append(Sample(text: text, classIndex: index, origin: path))
                found += 1
            }
            guard found > 0 else {
                throw DataError.badFolder(path: folder.path, message: "class folder '\(name)' has no non-empty .txt files")
            }
        }
        self.init(source: root, classNames: names, samples: samples, skipped: skipped)
    }

    /// Every file below `folder`, sorted by path.
    private static func files(under folder: URL) throws -> [String] {
        var files: [String] = []
        var pending = [folder]
        while let current = pending.popLast() {
            for child in try ImageFolder.visibleChildren(of: current) {
                if ImageFolder.isDirectory(child) { pending.append(child) } else { files.append(child.path) }
            }
        }
        return files.sorted()
    }
}
