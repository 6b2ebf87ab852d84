import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP(S) download streamed into a file while its digests are computed: only a complete `200` response counts;
/// any other status, a dropped connection, a short transfer or a failed write is an error, and the file is then removed.
struct WeightDownload {
    /// How long the transfer may stall before it fails.
    var idleTimeout: TimeInterval = 60

    /// Downloads `url` into `path` (created or replaced) and returns the digests of what arrived.
    /// `log` gets a line when the transfer starts and, past 10 MB, at every further tenth of a known length.
    func run(from url: URL, to path: String, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> FileDigests {
        let receiver = Receiver(url: url, path: path, log: log)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: url).resume()
        receiver.finished.wait()
        do {
            return try receiver.result()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }
}

/// The session's delegate: writes each piece as it arrives and remembers the first failure.
private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let url: URL
    private let path: String
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var handle: FileHandle?
    private var digester = FileDigester()
    private var received: Int64 = 0
    private var expected: Int64 = -1
    private var reportedTenths = 0
    private var failure: WeightCacheError?

    init(url: URL, path: String, log: @escaping @Sendable (String) -> Void) {
        self.url = url
        self.path = path
        self.log = log
    }

    /// The digests, or the first failure.
    func result() throws -> FileDigests {
        try lock.withLock {
            if let failure { throw failure }
            if expected >= 0, received != expected {
                throw WeightCacheError.truncated(url: url.absoluteString, received: received, expected: expected)
            }
            return digester.finalize()
        }
    }

    private func fail(_ error: WeightCacheError) {
        if failure == nil { failure = error }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let disposition: URLSession.ResponseDisposition = lock.withLock {
            if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                fail(.httpStatus(url: url.absoluteString, status: http.statusCode))
                return .cancel
            }
            expected = response.expectedContentLength
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                fail(.writeFailed(path: path, message: String(cString: strerror(errno))))
                return .cancel
            }
            self.handle = handle
            let size = expected >= 0 ? String(format: " (%.1f MB)", Double(expected) / 1e6) : ""
            log("downloading \(url.absoluteString)\(size)")
            return .allow
        }
        completionHandler(disposition)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let keepGoing: Bool = lock.withLock {
            guard failure == nil, let handle else { return false }
            do {
                try handle.write(contentsOf: data)
            } catch {
                fail(.writeFailed(path: path, message: "\(error)"))
                return false
            }
            digester.update(data)
            received += Int64(data.count)
            if expected > 10_000_000 {
                let tenths = Int(received * 10 / expected)
                if tenths > reportedTenths, tenths < 10 {
                    reportedTenths = tenths
                    log("  \(tenths * 10) %")
                }
            }
            return true
        }
        if !keepGoing { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.withLock {
            if let error { fail(.transferFailed(url: url.absoluteString, message: error.localizedDescription)) }
            do {
                try handle?.synchronize()
                try handle?.close()
            } catch {
                fail(.writeFailed(path: path, message: "\(error)"))
            }
            handle = nil
        }
        finished.signal()
    }
}
