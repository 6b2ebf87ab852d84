import Foundation

/// What `finetune datasets inspect` reports about a data set folder: classes and counts per split, image sizes,
/// files that are not images or cannot be decoded, and exact duplicates between training and validation.
public struct DatasetInspection: Sendable, Codable, Equatable {
    /// One split's figures.
    public struct Split: Sendable, Codable, Equatable {
        public let name: String
        public let path: String
        /// Images per class, in ``DatasetInspection/classNames`` order.
        public let counts: [Int]
        /// Image sizes as `"W×H×C"` with how many images have each, most common first.
        public let sizes: [SizeCount]
        /// Files skipped as not JPEG or PNG by extension.
        public let skippedFiles: [String]
        /// Files with an image extension that could not be decoded, with the reason.
        public let unreadableFiles: [UnreadableFile]
    }

    public struct SizeCount: Sendable, Codable, Equatable {
        public let size: String
        public let count: Int
    }

    public struct UnreadableFile: Sendable, Codable, Equatable {
        public let path: String
        public let reason: String
    }

    /// A training file whose bytes equal a validation file's.
    public struct Duplicate: Sendable, Codable, Equatable {
        public let train: String
        public let validation: String
    }

    public let root: String
    public let classNames: [String]
    public let splits: [Split]
    public let duplicates: [Duplicate]

    /// Reads every image under `root` (train/validation folders, or class folders directly).
    public init(root: String) throws {
        let found = try ImageFolderSplits(root: root, minimumClasses: 1)
        self.root = root
        classNames = found.training.classNames
        var parts = [("train", found.training)]
        if let validation = found.validation { parts.append(("validation", validation)) }
        var fingerprints: [[UInt64: [String]]] = []
        var splits: [Split] = []
        for (name, folder) in parts {
            var sizes: [String: Int] = [:]
            var unreadable: [UnreadableFile] = []
            var prints: [UInt64: [String]] = [:]
            for entry in folder.entries {
                do {
                    let bytes = try Self.read(entry.path)
                    prints[Self.fingerprint(bytes), default: []].append(entry.path)
                    let image = try bytes.withUnsafeBytes { try ImageCodec.decode($0, path: entry.path) }
                    sizes["\(image.width)×\(image.height)×\(image.channels)", default: 0] += 1
                } catch {
                    unreadable.append(UnreadableFile(path: entry.path, reason: "\(error)"))
                }
            }
            fingerprints.append(prints)
            let ordered = sizes.map { SizeCount(size: $0.key, count: $0.value) }
                .sorted { ($0.count, $1.size) > ($1.count, $0.size) }
            splits.append(Split(name: name, path: folder.root, counts: folder.classCounts, sizes: ordered,
                                skippedFiles: folder.skippedFiles, unreadableFiles: unreadable))
        }
        self.splits = splits
        duplicates = fingerprints.count == 2 ? try Self.duplicates(fingerprints[0], fingerprints[1]) : []
    }

    /// Files of `training` whose bytes equal a file of `validation` (a leak that inflates validation scores).
    public static func duplicates(between training: ImageFolder, and validation: ImageFolder) throws -> [Duplicate] {
        func fingerprints(_ folder: ImageFolder) throws -> [UInt64: [String]] {
            var prints: [UInt64: [String]] = [:]
            for entry in folder.entries {
                guard let bytes = try? read(entry.path) else { continue }
                prints[fingerprint(bytes), default: []].append(entry.path)
            }
            return prints
        }
        return try duplicates(try fingerprints(training), try fingerprints(validation))
    }

    /// Pairs with equal fingerprints whose bytes are really equal.
    private static func duplicates(_ train: [UInt64: [String]], _ validation: [UInt64: [String]]) throws -> [Duplicate] {
        var result: [Duplicate] = []
        for (print, trainPaths) in train {
            guard let validationPaths = validation[print] else { continue }
            for trainPath in trainPaths {
                let trainBytes = try read(trainPath)
                for validationPath in validationPaths {
                    if try read(validationPath) == trainBytes {
                        result.append(Duplicate(train: trainPath, validation: validationPath))
                    }
                }
            }
        }
        return result.sorted { ($0.train, $0.validation) < ($1.train, $1.validation) }
    }

    /// 64-bit FNV-1a of the bytes and their count.
    static func fingerprint(_ bytes: Data) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    private static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError.readFailed(path: path, message: error.localizedDescription)
        }
    }

    /// A human-readable report.
    public var text: String {
        var lines = ["Data set \(root)", "Classes (\(classNames.count)): \(classNames.joined(separator: ", "))"]
        for split in splits {
            let total = split.counts.reduce(0, +)
            lines.append("")
            lines.append("\(split.name): \(total) images in \(split.path)")
            for (name, count) in zip(classNames, split.counts) {
                lines.append("  \(name.padding(toLength: max(12, name.count), withPad: " ", startingAt: 0)) \(count)")
            }
            lines.append("  sizes: " + split.sizes.prefix(5).map { "\($0.size) (\($0.count))" }.joined(separator: ", ")
                         + (split.sizes.count > 5 ? ", …" : ""))
            if !split.skippedFiles.isEmpty { lines.append("  skipped (not JPEG/PNG): \(split.skippedFiles.count)") }
            lines.append("  unreadable: \(split.unreadableFiles.count)")
            for file in split.unreadableFiles.prefix(20) { lines.append("    \(file.reason)") }
        }
        if splits.count == 2 {
            lines.append("")
            lines.append("Exact duplicates between train and validation: \(duplicates.count)")
            for pair in duplicates.prefix(20) { lines.append("  \(pair.train) = \(pair.validation)") }
        }
        return lines.joined(separator: "\n")
    }
}
