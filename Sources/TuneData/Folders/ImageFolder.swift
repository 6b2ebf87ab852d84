import Foundation
import TuneCore

/// A labelled image collection found on disk in the Keras layout `root/<class>/…` (sub-folders searched
/// recursively). Class indices are the sorted class-folder names; hidden files and folders are ignored; files
/// whose extension is not an image format FineTune reads are skipped and counted.
public struct ImageFolder: Sendable, Equatable {
    /// One image file and its class index.
    public struct Entry: Sendable, Hashable {
        public let path: String
        public let classIndex: Int
    }

    /// The folder scanned.
    public let root: String
    /// Class names in index order.
    public let classNames: [String]
    /// Every image file, sorted by class, then by path.
    public let entries: [Entry]
    /// Files that were not JPEG or PNG by extension, or were outside any class folder.
    public let skippedFiles: [String]

    /// Images per class, in class order.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for entry in entries { counts[entry.classIndex] += 1 }
        return counts
    }

    /// The number of images.
    public var count: Int { entries.count }

    /// One line in the spirit of Keras's "Found N images belonging to C classes.", with per-class counts.
    public var summary: String {
        let perClass = zip(classNames, classCounts).map { "\($0): \($1)" }.joined(separator: ", ")
        let skipped = skippedFiles.isEmpty ? "" : "; skipped \(skippedFiles.count) non-image file(s)"
        return "Found \(count) images belonging to \(classNames.count) classes in \(root) (\(perClass))\(skipped)."
    }

    init(root: String, classNames: [String], entries: [Entry], skippedFiles: [String]) {
        self.root = root
        self.classNames = classNames
        self.entries = entries
        self.skippedFiles = skippedFiles
    }

    /// Scans `root/<class>/…`.
    ///
    /// - Parameters:
    ///   - classNames: use exactly these classes, in this order (a validation folder takes its training folder's);
    ///     `nil` means the sorted sub-folder names.
    ///   - minimumClasses: fewer classes is an error (2 for training a classifier).
    /// - Throws: ``DataError/badFolder(path:message:)`` when the root is missing or not a folder, a class folder
    ///   is missing or holds no images, there are too few classes, or there are no images at all.
    public init(scanning root: String, classNames: [String]? = nil, minimumClasses: Int = 1) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw DataError.badFolder(path: root, message: "folder not found")
        }
        guard isDirectory.boolValue else { throw DataError.badFolder(path: root, message: "not a folder") }
        let rootURL = URL(fileURLWithPath: root)
        var skipped: [String] = []
        let found = try Self.visibleChildren(of: rootURL)
        var folders: [String] = []
        for child in found {
            if Self.isDirectory(child) { folders.append(child.lastPathComponent) } else { skipped.append(child.path) }
        }
        let names = classNames ?? folders.sorted()
        guard !names.isEmpty else {
            throw DataError.badFolder(path: root, message: "no class folders: expected \(root)/<class>/<image files>")
        }
        guard names.count >= minimumClasses else {
            throw DataError.badFolder(path: root, message: "found \(names.count) class folder (\(names.joined(separator: ", "))); "
                                      + "at least \(minimumClasses) are needed to train a classifier")
        }
        var entries: [Entry] = []
        for (index, name) in names.enumerated() {
            let folder = rootURL.appendingPathComponent(name)
            guard Self.isDirectory(folder) else {
                throw DataError.badFolder(path: folder.path, message: "class folder '\(name)' is missing")
            }
            let (images, others) = try Self.imageFiles(under: folder)
            skipped += others
            guard !images.isEmpty else {
                throw DataError.badFolder(path: folder.path, message: "class folder '\(name)' has no JPEG or PNG images")
            }
            entries += images.sorted().map { Entry(path: $0, classIndex: index) }
        }
        self.init(root: root, classNames: names, entries: entries, skippedFiles: skipped.sorted())
    }

    /// A subset with the same classes.
    public func subset(_ entries: [Entry]) -> ImageFolder {
        ImageFolder(root: root, classNames: classNames, entries: entries, skippedFiles: [])
    }

    /// Splits off a validation subset: `fraction` of each class, chosen by a seeded shuffle (stratified, so small
    /// classes are represented in both parts). Both parts keep sorted file order.
    public func split(validationFraction fraction: Double, seed: UInt64) throws -> (training: ImageFolder, validation: ImageFolder) {
        guard fraction > 0, fraction < 1 else {
            throw DataError.invalidArgument(message: "validation split must be between 0 and 1 (exclusive), got \(fraction)")
        }
        var training: [Entry] = [], validation: [Entry] = []
        for classIndex in classNames.indices {
            let members = entries.filter { $0.classIndex == classIndex }
            let take = Int((Double(members.count) * fraction).rounded())
            guard take > 0, take < members.count else {
                throw DataError.badFolder(path: root, message: "class '\(classNames[classIndex])' has \(members.count) images, "
                                          + "too few to split \(Int(fraction * 100))% off for validation")
            }
            let order = seededPermutation(count: members.count, seed: seed, stream: classIndex)
            validation += order.prefix(take).map { members[$0] }
            training += order.dropFirst(take).map { members[$0] }
        }
        let byPath: (Entry, Entry) -> Bool = { ($0.classIndex, $0.path) < ($1.classIndex, $1.path) }
        return (subset(training.sorted(by: byPath)), subset(validation.sorted(by: byPath)))
    }

    /// The non-hidden entries of a folder, sorted by name.
    static func visibleChildren(of folder: URL) throws -> [URL] {
        do {
            return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isDirectoryKey])
                .filter { !$0.lastPathComponent.hasPrefix(".") }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw DataError.readFailed(path: folder.path, message: "cannot list the folder: \(error.localizedDescription)")
        }
    }

    static func isDirectory(_ url: URL) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
    }

    /// Image files (by extension) below `folder`, recursively, and the other files found.
    private static func imageFiles(under folder: URL) throws -> (images: [String], others: [String]) {
        var images: [String] = [], others: [String] = []
        var pending = [folder]
        while let current = pending.popLast() {
            for child in try visibleChildren(of: current) {
                if isDirectory(child) {
                    pending.append(child)
                } else if ImageFormat.fromExtension(child.pathExtension) != nil {
                    images.append(child.path)
                } else {
                    others.append(child.path)
                }
            }
        }
        return (images, others)
    }
}

/// The training and validation parts of a data set folder.
public struct ImageFolderSplits: Sendable {
    /// How the validation part was found.
    public enum ValidationSource: String, Sendable {
        /// A `validation/` (or `val/`) folder beside `train/`.
        case folder
        /// A seeded, stratified fraction of each class held out of the training images.
        case split
        /// No validation part.
        case none
    }

    public let training: ImageFolder
    public let validation: ImageFolder?
    /// How the validation part was found.
    public let validationSource: ValidationSource

    /// Finds the parts under `root`: `root/train` and `root/validation` (or `root/val`) when present; otherwise
    /// `root/<class>/…` for training, with `validationFraction` of each class split off when given.
    public init(root: String, validationFraction: Double? = nil, seed: UInt64 = 0, minimumClasses: Int = 2) throws {
        let rootURL = URL(fileURLWithPath: root)
        let trainURL = rootURL.appendingPathComponent("train")
        if ImageFolder.isDirectory(trainURL) {
            let training = try ImageFolder(scanning: trainURL.path, minimumClasses: minimumClasses)
            let candidates = ["validation", "val"].map { rootURL.appendingPathComponent($0) }
            if let validationURL = candidates.first(where: ImageFolder.isDirectory) {
                try Self.checkClasses(of: validationURL, match: training.classNames)
                self.training = training
                validation = try ImageFolder(scanning: validationURL.path, classNames: training.classNames)
                validationSource = .folder
            } else if let validationFraction {
                (self.training, validation) = try training.split(validationFraction: validationFraction, seed: seed)
                validationSource = .split
            } else {
                self.training = training
                validation = nil
                validationSource = .none
            }
            return
        }
        let all = try ImageFolder(scanning: root, minimumClasses: minimumClasses)
        if let validationFraction {
            (training, validation) = try all.split(validationFraction: validationFraction, seed: seed)
            validationSource = .split
        } else {
            training = all
            validation = nil
            validationSource = .none
        }
    }

    private static func checkClasses(of folder: URL, match classNames: [String]) throws {
        let found = try ImageFolder.visibleChildren(of: folder).filter(ImageFolder.isDirectory).map(\.lastPathComponent)
        let unknown = found.filter { !classNames.contains($0) }
        guard unknown.isEmpty else {
            throw DataError.badFolder(path: folder.path, message: "validation classes \(unknown) are not among the training classes \(classNames)")
        }
    }
}
