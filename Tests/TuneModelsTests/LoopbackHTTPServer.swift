import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for the download tests, on a port the system picks. Each path answers as told:
/// the whole body, a 404, a body cut short on a connection that then closes, or a body cut short by the server going away.
final class LoopbackHTTPServer: @unchecked Sendable {
    enum Reply {
        /// `200` with the whole body.
        case body(Data)
        /// `404 Not Found`.
        case notFound
        /// `200` announcing the whole body, sending `sending` bytes of it, then closing the connection.
        case truncated(Data, sending: Int)
        /// As `truncated`, then the server stops listening altogether.
        case diesMidFile(Data, sending: Int)
    }

    let port: UInt16
    private let listener: Int32
    private let routes: [String: Reply]
    private let lock = NSLock()
    private var requests: [String] = []
    private var stopped = false
    private var thread: Thread?

    init(routes: [String: Reply]) throws {
        self.routes = routes
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else { close(descriptor); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        self.thread = thread
        thread.start()
    }

    /// `http://127.0.0.1:<port>/<path>`.
    func url(_ path: String) -> URL {
        URL(string: "http://127.0.0.1:\(port)/\(path)")!
    }

    /// The paths requested so far.
    var requestedPaths: [String] { lock.withLock { requests } }

    /// Stops listening (idempotent).
    func stop() {
        let wasOpen = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard wasOpen else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            let path = readRequestPath(connection)
            lock.withLock { requests.append(path) }
            let keepServing = answer(connection, reply: routes[path] ?? .notFound)
            shutdown(connection, Int32(SHUT_RDWR))
            close(connection)
            if !keepServing {
                stop()
                return
            }
        }
    }

    /// The path of a `GET /path HTTP/1.1` request, without its leading slash.
    private func readRequestPath(_ connection: Int32) -> String {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.ends(with: Array("\r\n\r\n".utf8)), request.count < 65536 {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            request += buffer[0..<count]
        }
        let line = String(decoding: request, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? String(parts[1].dropFirst()) : ""
    }

    /// Sends the reply; false when the server should stop.
    private func answer(_ connection: Int32, reply: Reply) -> Bool {
        func send(_ bytes: Data) {
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let sent = Glibc.send(connection, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    guard sent > 0 else { return }
                    offset += sent
                }
            }
        }
        func header(_ status: String, length: Int) -> Data {
            Data("HTTP/1.1 \(status)\r\nContent-Type: application/octet-stream\r\nContent-Length: \(length)\r\nConnection: close\r\n\r\n".utf8)
        }
        switch reply {
        case let .body(data):
            send(header("200 OK", length: data.count) + data)
        case .notFound:
            let body = Data("not here\n".utf8)
            send(header("404 Not Found", length: body.count) + body)
        case let .truncated(data, sending):
            send(header("200 OK", length: data.count) + data.prefix(sending))
        case let .diesMidFile(data, sending):
            send(header("200 OK", length: data.count) + data.prefix(sending))
            return false
        }
        return true
    }
}

private extension Array where Element: Equatable {
    func ends(with suffix: [Element]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
