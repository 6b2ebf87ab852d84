import ArgumentParser
import Foundation

/// Puts a `finetune bench --contend` competitor in a session of its own. A process Foundation starts leads its own
/// process group, which `setsid` refuses, so the competitor starts itself again with `posix_spawn`'s `SETSID` flag
/// (without the flag that asked for it), waits for that copy and exits with its status. A spinner copy notices when
/// this process is killed (its parent changes) and stops.
enum OwnSession {
    /// glibc's `POSIX_SPAWN_SETSID` (2.26 and later), which Swift does not import.
    private static let setSessionFlag: Int16 = 0x80

    static func rerun(without flag: String) throws -> Never {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let arguments = [executable] + CommandLine.arguments.dropFirst().filter { $0 != flag }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, setSessionFlag)
        var child = pid_t()
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let status = posix_spawn(&child, executable, nil, &attributes, cArguments, environ)
        guard status == 0 else {
            throw ValidationError("\(flag): posix_spawn of \(executable) failed (\(String(cString: strerror(status))))")
        }
        var result: Int32 = 0
        while waitpid(child, &result, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import either.
        exit(result & 0x7F == 0 ? (result >> 8) & 0xFF : 1)
    }
}
