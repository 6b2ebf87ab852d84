#if canImport(Glibc)
import Glibc
#endif

/// A 64-byte aligned block of `Float`s owned by one or more tensors (views share it).
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// Allocates `count` floats; the contents are uninitialized unless `zeroed`.
    init(count: Int, zeroed: Bool) {
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        var raw: UnsafeMutableRawPointer?
        if posix_memalign(&raw, 64, bytes) != 0 || raw == nil {
            fatalError("TensorStorage: out of memory allocating \(bytes) bytes")
        }
        let typed = raw.unsafelyUnwrapped.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { typed.initialize(repeating: 0, count: count) }
        pointer = typed
    }

    deinit { free(pointer) }
}
