import CDNNL
import Foundation

/// The CPU engine, the primitive cache and the streams and staging buffers executions use.
///
/// Several threads may execute at once (each of ``ComputeThreads/inLanes(_:_:)``'s lanes runs its own slice of a
/// batch): every execution takes a stream and a set of staging buffers of its own from ``idle`` and returns them
/// afterwards, and primitives need no lock to run, since each one's scratchpad is passed in by the caller.
final class DNNLContext: @unchecked Sendable {
    let engine: dnnl_engine_t
    private let lock = NSLock()
    /// Primitives and reorders by team size, then by shape key.
    private var cache: [Int: [String: DNNLPrimitive]] = [:]
    private var reorders: [Int: [String: DNNLReorder]] = [:]
    /// Execution resources not in use now; as many exist as executions ever ran at once.
    private var idle: [DNNLExecution] = []

    private static let made: Result<DNNLContext, Error> = Result { try DNNLContext() }

    /// The process-wide context.
    static func shared() throws -> DNNLContext { try made.get() }

    private init() throws {
        // Before oneDNN's OpenMP workers exist, so they inherit it.
        OpenMPTeam.flushDenormalsOnCurrentThread()
        var engine: dnnl_engine_t?
        try DNNL.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        guard let engine else { throw DNNL.missingResult("dnnl_engine_create") }
        self.engine = engine
    }

    /// The cached primitive for `key` and the current team size, created by `make` on first use. oneDNN reads the
    /// team size when it creates a primitive and splits the primitive's work for that many threads from then on, so a
    /// team that shrinks under load (``ComputeThreads``) gets primitives made for its own size.
    func primitive(_ key: String, make: () throws -> DNNLPrimitive) throws -> DNNLPrimitive {
        let threads = ComputeThreads.forNextWork()
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[threads]?[key] { return cached }
        let created = try make()
        cache[threads, default: [:]][key] = created
        return created
    }

    /// A cached reorder between two layouts, with the scratchpad it needs.
    func reorderPrimitive(from source: MemoryDescriptor, to destination: MemoryDescriptor) throws -> DNNLReorder {
        let key = "\(source.key)|\(destination.key)"
        let threads = ComputeThreads.forNextWork()
        lock.lock()
        defer { lock.unlock() }
        if let cached = reorders[threads]?[key] { return cached }
        let made = try DNNLReorder(from: source, to: destination, context: self)
        reorders[threads, default: [:]][key] = made
        return made
    }

    /// Copies `source` (in layout `from`) into `destination` (in layout `to`).
    func reorder(from: MemoryDescriptor, _ source: UnsafeMutableRawPointer,
                 to: MemoryDescriptor, _ destination: UnsafeMutableRawPointer) throws {
        let reorder = try reorderPrimitive(from: from, to: to)
        try withExecution { execution in
            let memories = DNNLMemories(engine: engine)
            defer { memories.destroyAll() }
            try execution.run(reorder, from: memories.make(from, source), to: memories.make(to, destination),
                              scratchpad: reorder.scratchpad.map {
                                  try memories.make($0, execution.scratch.buffer(slot: 0, bytes: $0.byteCount))
                              })
        }
    }

    /// Runs `body` with a stream and staging buffers no other thread uses meanwhile.
    func withExecution<R>(_ body: (DNNLExecution) throws -> R) throws -> R {
        let execution = try lock.withLock { try idle.popLast() ?? DNNLExecution(engine: engine) }
        defer { lock.withLock { idle.append(execution) } }
        return try body(execution)
    }
}

/// A stream and the staging buffers of one execution at a time (see ``DNNLContext/withExecution(_:)``).
final class DNNLExecution {
    private let stream: dnnl_stream_t
    let scratch = DNNLScratch()

    init(engine: dnnl_engine_t) throws {
        var stream: dnnl_stream_t?
        try DNNL.check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        guard let stream else { throw DNNL.missingResult("dnnl_stream_create") }
        self.stream = stream
    }

    /// Runs `primitive` with `arguments` and waits for it.
    func run(_ primitive: dnnl_primitive_t, _ arguments: [dnnl_exec_arg_t]) throws {
        try DNNL.check(dnnl_primitive_execute(primitive, stream, Int32(arguments.count), arguments), "dnnl_primitive_execute")
        try DNNL.check(dnnl_stream_wait(stream), "dnnl_stream_wait")
    }

    /// Runs a reorder from one memory to another.
    func run(_ reorder: DNNLReorder, from source: dnnl_memory_t, to destination: dnnl_memory_t,
             scratchpad: dnnl_memory_t?) throws {
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: source), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: destination)]
        if let scratchpad { arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad)) }
        try run(reorder.primitive, arguments)
    }

    deinit { dnnl_stream_destroy(stream) }
}

/// A reorder primitive between two layouts, with the scratchpad it needs. Owned by whoever made it (a cache or a
/// primitive's bindings) for the life of the process or of that owner.
final class DNNLReorder: @unchecked Sendable {
    let primitive: dnnl_primitive_t
    let scratchpad: MemoryDescriptor?

    init(from source: MemoryDescriptor, to destination: MemoryDescriptor, context: DNNLContext) throws {
        var source = source.raw, destination = destination.raw
        var reorderDescriptor: dnnl_primitive_desc_t?
        try DNNL.withUserScratchpad { attributes in
            try DNNL.check(dnnl_reorder_primitive_desc_create(&reorderDescriptor, &source, context.engine,
                                                              &destination, context.engine, attributes),
                           "dnnl_reorder_primitive_desc_create")
        }
        guard let reorderDescriptor else { throw DNNL.missingResult("dnnl_reorder_primitive_desc_create") }
        defer { dnnl_primitive_desc_destroy(reorderDescriptor) }
        var reorder: dnnl_primitive_t?
        try DNNL.check(dnnl_primitive_create(&reorder, reorderDescriptor), "dnnl_primitive_create(reorder)")
        guard let reorder else { throw DNNL.missingResult("dnnl_primitive_create(reorder)") }
        primitive = reorder
        scratchpad = DNNL.scratchpadDescriptor(of: reorderDescriptor)
    }

    deinit { dnnl_primitive_destroy(primitive) }
}

/// oneDNN memory objects wrapping caller buffers for one execution; the caller destroys them with ``destroyAll()``
/// (in a `defer`, so they outlive the execution whatever ARC decides).
final class DNNLMemories {
    private let engine: dnnl_engine_t
    private var memories: [dnnl_memory_t] = []

    init(engine: dnnl_engine_t) { self.engine = engine }

    func destroyAll() {
        memories.forEach { dnnl_memory_destroy($0) }
        memories = []
    }

    /// A memory object over `pointer` in layout `descriptor`.
    func make(_ descriptor: MemoryDescriptor, _ pointer: UnsafeMutableRawPointer) throws -> dnnl_memory_t {
        var descriptor = descriptor.raw
        var created: dnnl_memory_t?
        try DNNL.check(dnnl_memory_create(&created, &descriptor, engine, pointer), "dnnl_memory_create")
        guard let created else { throw DNNL.missingResult("dnnl_memory_create") }
        memories.append(created)
        return created
    }
}

/// Growable staging buffers for reorders and scratchpads, reused across calls so steady-state steps allocate nothing.
final class DNNLScratch {
    private var pointers: [UnsafeMutableRawPointer?] = []
    private var sizes: [Int] = []

    func buffer(slot: Int, bytes: Int) throws -> UnsafeMutableRawPointer {
        while pointers.count <= slot {
            pointers.append(nil)
            sizes.append(0)
        }
        if let existing = pointers[slot], sizes[slot] >= bytes { return existing }
        free(pointers[slot])
        pointers[slot] = nil
        sizes[slot] = 0
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(bytes, 64)) == 0, let raw else {
            throw TensorError.backend(library: "oneDNN", call: "posix_memalign", status: "out of memory (\(bytes) bytes)")
        }
        pointers[slot] = raw
        sizes[slot] = bytes
        return raw
    }
}
