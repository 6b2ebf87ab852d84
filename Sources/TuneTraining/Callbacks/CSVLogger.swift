import Foundation

/// Streams per-epoch results to a CSV file, like Keras's `CSVLogger`.
///
/// The first line is the header `epoch,<metric columns>` (the columns are the first epoch's metric names, sorted);
/// every epoch then appends one line — the 0-based epoch, then each value in shortest round-trip form, or `NA` when
/// that epoch lacks the metric (metrics not in the header are left out). Each line is handed to the operating system
/// with `write(2)` as soon as the epoch ends, so the file can be followed while training runs.
///
/// With `append`, an existing non-empty file is continued: its header's columns are reused and no new header is
/// written. Otherwise the file is truncated when training begins.
public final class CSVLogger: Callback {
    /// The file written.
    public let path: String
    /// Whether an existing file is continued rather than replaced.
    public let append: Bool
    private var descriptor: Int32 = -1
    private var columns: [MetricName]?

    public init(path: String, append: Bool = false) {
        self.path = path
        self.append = append
    }

    deinit { closeFile() }

    public func trainingDidBegin(_ trainer: Trainer) throws {
        closeFile()
        columns = nil
        if append, let existing = try? String(contentsOfFile: path, encoding: .utf8),
           let header = existing.split(separator: "\n", omittingEmptySubsequences: false).first, !header.isEmpty {
            let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            columns = names.dropFirst().map { MetricName(String($0)) }
        }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        let opened = open(path, flags, 0o644)
        guard opened >= 0 else {
            throw CallbackError.fileFailed(callback: "CSVLogger", path: path, message: String(cString: strerror(errno)))
        }
        descriptor = opened
    }

    public func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        guard descriptor >= 0 else {
            throw CallbackError.fileFailed(callback: "CSVLogger", path: path,
                                           message: "the file is not open (trainingDidBegin was not called)")
        }
        var text = ""
        let keys: [MetricName]
        if let columns {
            keys = columns
        } else {
            keys = logs.keys.sorted { $0.rawValue < $1.rawValue }
            columns = keys
            text += (["epoch"] + keys.map(\.rawValue)).joined(separator: ",") + "\n"
        }
        text += (["\(epoch)"] + keys.map { key in logs[key].map { "\($0)" } ?? "NA" }).joined(separator: ",") + "\n"
        try writeAll(Array(text.utf8))
    }

    public func trainingDidEnd(_ trainer: Trainer, history: History) throws {
        closeFile()
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var written = 0
        let failure: String? = bytes.withUnsafeBytes { buffer -> String? in
            guard let start = buffer.baseAddress else { return nil }
            while written < buffer.count {
                let result = write(descriptor, start + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += result
            }
            return nil
        }
        if let failure { throw CallbackError.fileFailed(callback: "CSVLogger", path: path, message: failure) }
    }

    private func closeFile() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }
}
