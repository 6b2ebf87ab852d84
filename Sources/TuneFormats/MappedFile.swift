import Glibc

/// A read-only memory mapping of a whole file, unmapped when released.
final class MappedFile {
    let path: String
    private let base: UnsafeMutableRawPointer?
    /// The number of bytes in the file.
    let count: Int

    /// Maps `path`; throws ``FormatError/fileNotFound(path:)`` or ``FormatError/readFailed(path:message:)``.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw FormatError.fileNotFound(path: path) }
            throw FormatError.readFailed(path: path, message: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw FormatError.readFailed(path: path, message: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw FormatError.readFailed(path: path, message: "not a regular file")
        }
        count = Int(status.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw FormatError.readFailed(path: path, message: "mmap: " + String(cString: strerror(errno)))
        }
        base = mapped
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// The file's bytes, valid while `self` is alive.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try body(UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0) }, count: base == nil ? 0 : count))
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, `fsync`, then `rename`. On any failure
/// (a full disk, say) the temporary file is removed and an earlier file at `path` is left untouched.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
        throw FormatError.writeFailed(path: path, message: String(cString: strerror(errno)))
    }
    var written = 0
    let failure: String? = bytes.withUnsafeBytes { buffer -> String? in
        while written < buffer.count {
            guard let start = buffer.baseAddress else { return nil }
            let result = write(descriptor, start + written, buffer.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            written += result
        }
        return nil
    }
    // Flush to disk before the rename, so a crash never leaves a renamed but incomplete file.
    let synced = failure == nil && fsync(descriptor) == 0
    let syncFailure = failure == nil && !synced ? String(cString: strerror(errno)) : nil
    close(descriptor)
    if let failure = failure ?? syncFailure {
        unlink(temporary)
        throw FormatError.writeFailed(path: path, message: failure)
    }
    guard rename(temporary, path) == 0 else {
        let message = String(cString: strerror(errno))
        unlink(temporary)
        throw FormatError.writeFailed(path: path, message: message)
    }
}
