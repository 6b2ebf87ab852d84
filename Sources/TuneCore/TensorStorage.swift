import Foundation

/// A 64-byte aligned block of `Float`s owned by one or more tensors (views share it).
///
/// Large blocks come from and return to ``BufferPool``, so a training loop that allocates the same activation
/// shapes every step stops mapping fresh pages from the OS after its first step.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let byteCount: Int

    /// Allocates `count` floats; the contents are uninitialized unless `zeroed`.
    init(count: Int, zeroed: Bool) {
        self.count = count
        let bytes = BufferPool.roundedSize(max(count, 1) * MemoryLayout<Float>.stride)
        byteCount = bytes
        let raw = BufferPool.shared.take(bytes: bytes) ?? Self.allocate(bytes: bytes)
        let typed = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { typed.initialize(repeating: 0, count: count) }
        pointer = typed
    }

    var rawPointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(pointer) }

    deinit {
        let raw = UnsafeMutableRawPointer(pointer)
        if !BufferPool.shared.give(raw, bytes: byteCount) { free(raw) }
    }

    private static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            // Like Swift's own collections, running out of memory is not recoverable here.
            fatalError("TensorStorage: out of memory allocating \(bytes) bytes")
        }
        return raw
    }
}

/// Keeps freed large buffers, keyed by size, for reuse: training repeats the same shapes every step, and glibc
/// would otherwise unmap each large block on free and fault its pages back in on the next step.
///
/// The pool holds at most ``capacityBytes`` (default a quarter of physical memory; `FINETUNE_BUFFER_POOL_MIB` overrides
/// it, 0 turns it off).
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool(capacityBytes: BufferPool.configuredCapacity())

    /// Blocks smaller than this go straight to malloc, which already recycles them well.
    static let minimumBytes = 128 * 1024

    let capacityBytes: Int
    private let lock = NSLock()
    private var available: [Int: [UnsafeMutableRawPointer]] = [:]
    private(set) var cachedBytes = 0
    /// How many large blocks had to come from the OS because none of their size was free.
    private(set) var misses = 0

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// Large sizes are rounded up to whole 4 KiB pages so nearby shapes share blocks.
    static func roundedSize(_ bytes: Int) -> Int {
        bytes < minimumBytes ? bytes : (bytes + 4095) / 4096 * 4096
    }

    /// A cached block of exactly `bytes`, if one is free.
    func take(bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= Self.minimumBytes else { return nil }
        return lock.withLock {
            guard let block = available[bytes]?.popLast() else {
                misses += 1
                return nil
            }
            cachedBytes -= bytes
            return block
        }
    }

    /// Keeps `block` for reuse; returns `false` when the caller should free it instead.
    func give(_ block: UnsafeMutableRawPointer, bytes: Int) -> Bool {
        guard bytes >= Self.minimumBytes else { return false }
        return lock.withLock {
            guard cachedBytes + bytes <= capacityBytes else { return false }
            available[bytes, default: []].append(block)
            cachedBytes += bytes
            return true
        }
    }

    /// A quarter of physical memory unless `FINETUNE_BUFFER_POOL_MIB` says otherwise. The pool must be able to hold a
    /// whole step's activations: when a backward pass frees more than the pool keeps, the excess goes back to the OS
    /// and the next step faults it in again (full fine-tuning at 224², batch 32, frees ≈2.5 GiB per step).
    private static func configuredCapacity() -> Int {
        let quarter = Int(ProcessInfo.processInfo.physicalMemory / 4 / 1024 / 1024)
        let mebibytes = ProcessInfo.processInfo.environment["FINETUNE_BUFFER_POOL_MIB"].flatMap { Int($0) } ?? quarter
        return max(mebibytes, 0) * 1024 * 1024
    }
}

/// What tensor memory costs the process, for benchmarks and tests.
public enum TensorMemory {
    /// How many large tensor buffers (≥ 128 KiB) so far were new memory from the OS rather than reused ones. Constant
    /// across steady-state training steps once the pool has warmed up.
    public static var freshLargeAllocations: Int { BufferPool.shared.misses }
}
