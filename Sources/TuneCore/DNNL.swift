import CDNNL
import Foundation

/// The one place FineTune calls oneDNN: status codes become thrown ``TensorError/backend(library:call:status:)``
/// values, primitives are cached per shape, and plain (row-major) tensors are reordered to and from
/// the layouts primitives prefer.
enum DNNL {
    /// Throws when `status` is not success, naming the call.
    static func check(_ status: dnnl_status_t, _ call: StaticString) throws {
        guard status != dnnl_success else { return }
        let text = dnnl_status2str(status).map { String(cString: $0) } ?? "\(status.rawValue)"
        throw TensorError.backend(library: "oneDNN", call: "\(call)", status: text)
    }

    /// A plain row-major descriptor for `dimensions` (rank 1 to 5).
    static func plainDescriptor(_ dimensions: [Int]) throws -> dnnl_memory_desc_t {
        let tags: [dnnl_format_tag_t] = [dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde]
        guard (1...tags.count).contains(dimensions.count) else {
            throw TensorError.invalidArgument(op: "oneDNN", message: "rank \(dimensions.count) is not supported")
        }
        return try descriptor(dimensions, tag: tags[dimensions.count - 1])
    }

    /// A descriptor that lets the primitive choose its preferred layout.
    static func anyDescriptor(_ dimensions: [Int]) throws -> dnnl_memory_desc_t {
        try descriptor(dimensions, tag: dnnl_format_tag_any)
    }

    private static func descriptor(_ dimensions: [Int], tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        let dims = dimensions.map(Int64.init)
        try check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims, dnnl_f32, tag),
                  "dnnl_memory_desc_init_by_tag")
        return descriptor
    }

    /// Runs `body` with primitive attributes that ask for a caller-provided scratchpad.
    ///
    /// With the default library-managed scratchpad, oneDNN 2.x shares one scratchpad per *thread* (thread-local),
    /// so a primitive must run on the thread that created it. Cached primitives here run from whichever thread
    /// (Swift concurrency hops threads), which crashed in oneDNN with a null scratchpad; a user scratchpad
    /// passed at execution has no such restriction.
    static func withUserScratchpad<R>(_ body: (dnnl_primitive_attr_t) throws -> R) throws -> R {
        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "dnnl_primitive_attr_create")
        guard let attributes else { throw TensorError.backend(library: "oneDNN", call: "dnnl_primitive_attr_create", status: "null") }
        defer { dnnl_primitive_attr_destroy(attributes) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user),
                  "dnnl_primitive_attr_set_scratchpad_mode")
        return try body(attributes)
    }

    /// The scratchpad a primitive descriptor needs, or `nil` when it needs none.
    static func scratchpadDescriptor(of descriptor: dnnl_primitive_desc_t) -> dnnl_memory_desc_t? {
        guard let queried = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0),
              dnnl_memory_desc_get_size(queried) > 0 else { return nil }
        return queried.pointee
    }

    /// Adds an element-wise post-op (`dst = activation(dst)`) to `attributes`.
    static func appendActivation(_ activation: (kind: dnnl_alg_kind_t, alpha: Float, beta: Float),
                                 to attributes: dnnl_primitive_attr_t) throws {
        var postOps: dnnl_post_ops_t?
        try check(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create")
        guard let postOps else { throw TensorError.backend(library: "oneDNN", call: "dnnl_post_ops_create", status: "null") }
        defer { dnnl_post_ops_destroy(postOps) }
        try check(dnnl_post_ops_append_eltwise(postOps, 1, activation.kind, activation.alpha, activation.beta),
                  "dnnl_post_ops_append_eltwise")
        try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "dnnl_primitive_attr_set_post_ops")
    }

    /// Sets the OpenMP thread count oneDNN uses.
    static func setThreadCount(_ count: Int) { omp_set_num_threads(Int32(count)) }
    /// The OpenMP thread count oneDNN uses.
    static var threadCount: Int { Int(omp_get_max_threads()) }
}

/// How one primitive argument is bound: the tensor-side layout (plain unless opaque) and the data direction.
struct DNNLArgument {
    let argument: Int32
    let userDescriptor: dnnl_memory_desc_t?
    let isOutput: Bool

    /// An input in plain layout, reordered if the primitive wants another.
    static func input(_ argument: Int32, _ user: dnnl_memory_desc_t) -> Self {
        Self(argument: argument, userDescriptor: user, isOutput: false)
    }
    /// An output in plain layout, reordered back if the primitive writes another.
    static func output(_ argument: Int32, _ user: dnnl_memory_desc_t) -> Self {
        Self(argument: argument, userDescriptor: user, isOutput: true)
    }
    /// Memory only the primitive understands (e.g. a pooling workspace), passed through as is.
    static func opaque(_ argument: Int32, isOutput: Bool) -> Self {
        Self(argument: argument, userDescriptor: nil, isOutput: isOutput)
    }
}

/// A created oneDNN primitive plus the reorders its arguments need.
final class DNNLPrimitive: @unchecked Sendable {
    struct Binding {
        let argument: Int32
        let primitiveDescriptor: dnnl_memory_desc_t
        let userDescriptor: dnnl_memory_desc_t
        let reorder: dnnl_primitive_t?
        /// The scratchpad the reorder needs, if any.
        let reorderScratchpad: dnnl_memory_desc_t?
        let isOutput: Bool
    }

    let descriptor: dnnl_primitive_desc_t
    private let primitive: dnnl_primitive_t
    /// The user-managed scratchpad the primitive needs, if any (see ``DNNL/withUserScratchpad(_:)``).
    private let scratchpad: dnnl_memory_desc_t?
    private(set) var bindings: [Int32: Binding] = [:]
    /// The native layout of each output the primitive writes in a layout other than row-major, made once here
    /// rather than for every result.
    private var outputLayouts: [Int32: NativeLayout] = [:]

    /// Creates the primitive for an op descriptor (`dnnl_*_desc_t`).
    /// `configure` may add attributes such as post-ops.
    init<OpDescriptor>(_ opDescriptor: inout OpDescriptor, hint: DNNLPrimitive? = nil,
                       configure: ((dnnl_primitive_attr_t) throws -> Void)? = nil,
                       arguments: [DNNLArgument], context: DNNLContext) throws {
        var created: dnnl_primitive_desc_t?
        try DNNL.withUserScratchpad { attributes in
            try configure?(attributes)
            try DNNL.check(withUnsafePointer(to: &opDescriptor) {
                dnnl_primitive_desc_create(&created, UnsafeRawPointer($0), attributes, context.engine, hint?.descriptor)
            }, "dnnl_primitive_desc_create")
        }
        guard let created else { throw TensorError.backend(library: "oneDNN", call: "dnnl_primitive_desc_create", status: "null") }
        descriptor = created
        scratchpad = DNNL.scratchpadDescriptor(of: created)
        var made: dnnl_primitive_t?
        do {
            try DNNL.check(dnnl_primitive_create(&made, created), "dnnl_primitive_create")
        } catch {
            dnnl_primitive_desc_destroy(created)
            throw error
        }
        guard let made else { throw TensorError.backend(library: "oneDNN", call: "dnnl_primitive_create", status: "null") }
        primitive = made
        for argument in arguments {
            guard let queried = dnnl_primitive_desc_query_md(created, dnnl_query_exec_arg_md, argument.argument) else { continue }
            let wanted = queried.pointee
            if dnnl_memory_desc_get_size(queried) == 0 { continue }
            var user = argument.userDescriptor ?? wanted
            var reorder: (primitive: dnnl_primitive_t, scratchpad: dnnl_memory_desc_t?)?
            var wantedCopy = wanted
            if dnnl_memory_desc_equal(&user, &wantedCopy) == 0 {
                reorder = argument.isOutput
                    ? try Self.makeReorder(from: &wantedCopy, to: &user, context: context)
                    : try Self.makeReorder(from: &user, to: &wantedCopy, context: context)
            }
            if argument.isOutput, argument.userDescriptor != nil, reorder != nil {
                outputLayouts[argument.argument] = try NativeLayout(wanted, plain: user)
            }
            bindings[argument.argument] = Binding(argument: argument.argument, primitiveDescriptor: wanted,
                                                  userDescriptor: user, reorder: reorder?.primitive,
                                                  reorderScratchpad: reorder?.scratchpad, isOutput: argument.isOutput)
        }
    }

    deinit {
        for binding in bindings.values { if let reorder = binding.reorder { dnnl_primitive_destroy(reorder) } }
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The byte size the primitive needs for an argument (0 when unused).
    func byteSize(of argument: Int32) -> Int {
        guard var descriptor = bindings[argument]?.primitiveDescriptor else { return 0 }
        return dnnl_memory_desc_get_size(&descriptor)
    }

    static func makeReorder(from source: inout dnnl_memory_desc_t, to destination: inout dnnl_memory_desc_t,
                                    context: DNNLContext) throws -> (primitive: dnnl_primitive_t, scratchpad: dnnl_memory_desc_t?) {
        var reorderDescriptor: dnnl_primitive_desc_t?
        try DNNL.withUserScratchpad { attributes in
            try DNNL.check(dnnl_reorder_primitive_desc_create(&reorderDescriptor, &source, context.engine,
                                                              &destination, context.engine, attributes),
                           "dnnl_reorder_primitive_desc_create")
        }
        guard let reorderDescriptor else {
            throw TensorError.backend(library: "oneDNN", call: "dnnl_reorder_primitive_desc_create", status: "null")
        }
        defer { dnnl_primitive_desc_destroy(reorderDescriptor) }
        var reorder: dnnl_primitive_t?
        try DNNL.check(dnnl_primitive_create(&reorder, reorderDescriptor), "dnnl_primitive_create(reorder)")
        guard let reorder else { throw TensorError.backend(library: "oneDNN", call: "dnnl_primitive_create(reorder)", status: "null") }
        return (reorder, DNNL.scratchpadDescriptor(of: reorderDescriptor))
    }

    /// Runs the primitive on caller-owned plain buffers, keyed by `DNNL_ARG_*`.
    func execute(_ buffers: [Int32: UnsafeMutableRawPointer], context: DNNLContext) throws {
        try execute(operands: buffers.mapValues { DNNLOperand.pointer($0) }, context: context)
    }

    /// A new tensor for output `argument` in the layout the primitive writes, so no reorder follows the primitive.
    func output(_ argument: Int32, shape: Shape) -> Tensor {
        guard let layout = outputLayouts[argument] else { return Tensor.uninitialized(shape) }
        return Tensor(shape: shape, native: NativeStorage(layout: layout))
    }

    /// Where one argument's data is and how it reaches the primitive's layout.
    private struct Placement {
        let descriptor: dnnl_memory_desc_t
        let pointer: UnsafeMutableRawPointer
        let reorder: dnnl_primitive_t?
        let reorderScratchpad: dnnl_memory_desc_t?
    }

    /// Binds a tensor or buffer to `binding`: directly when its layout is the primitive's, else through a reorder.
    private func placement(of operand: DNNLOperand, for binding: Binding, context: DNNLContext) throws -> Placement {
        let direct = { (pointer: UnsafeMutableRawPointer) in
            Placement(descriptor: binding.primitiveDescriptor, pointer: pointer, reorder: nil, reorderScratchpad: nil)
        }
        let throughUserLayout = { (pointer: UnsafeMutableRawPointer) in
            Placement(descriptor: binding.userDescriptor, pointer: pointer, reorder: binding.reorder,
                      reorderScratchpad: binding.reorderScratchpad)
        }
        switch operand {
        case .pointer(let pointer):
            return throughUserLayout(pointer)
        case .tensor(let tensor):
            if let native = tensor.native {
                if native.layout.matches(binding.primitiveDescriptor) { return direct(native.storage.rawPointer) }
                // A reorder between layouts needs the same dims; otherwise the row-major copy is reinterpreted.
                if !binding.isOutput && !tensor.hasPlainStorage
                    && DNNL.dimensions(of: native.layout.descriptor) == DNNL.dimensions(of: binding.primitiveDescriptor) {
                    let reorder = try context.reorderPrimitive(from: native.layout.descriptor, to: binding.primitiveDescriptor)
                    return Placement(descriptor: native.layout.descriptor, pointer: native.storage.rawPointer,
                                     reorder: reorder.primitive, reorderScratchpad: reorder.scratchpad)
                }
            }
            return throughUserLayout(tensor.rawPointer)
        }
    }

    /// Runs the primitive; tensors are read in whatever layout they hold and outputs made by ``output(_:shape:)``
    /// are written in place.
    func execute(operands: [Int32: DNNLOperand], context: DNNLContext) throws {
        let ordered = bindings.values.sorted(by: { $0.argument < $1.argument })
        let placements = try ordered.map { binding -> Placement in
            guard let operand = operands[binding.argument] else {
                throw TensorError.invalidArgument(op: "oneDNN", message: "argument \(binding.argument) was not bound")
            }
            return try placement(of: operand, for: binding, context: context)
        }
        try context.withExecution { scratch in
            let memories = DNNLMemories(engine: context.engine)
            defer { memories.destroyAll() }
            func memory(_ descriptor: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer) throws -> dnnl_memory_t {
                try memories.make(descriptor, pointer)
            }
            // Slots 0..<bindings.count stage reordered arguments; the next two hold the scratchpads of the
            // primitive and of the reorders (which run one after another, so they share one).
            func scratchpadArgument(_ descriptor: dnnl_memory_desc_t?, slot: Int) throws -> [dnnl_exec_arg_t] {
                guard var descriptor else { return [] }
                let pointer = try scratch.buffer(slot: slot, bytes: dnnl_memory_desc_get_size(&descriptor))
                return [dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: try memory(descriptor, pointer))]
            }
            let reorderScratchpadSlot = bindings.count + 1
            var arguments: [dnnl_exec_arg_t] = try scratchpadArgument(scratchpad, slot: bindings.count)
            var outputReorders: [(dnnl_primitive_t, dnnl_memory_t, dnnl_memory_t, dnnl_memory_desc_t?)] = []
            for (slot, (binding, placement)) in zip(ordered, placements).enumerated() {
                let user = try memory(placement.descriptor, placement.pointer)
                guard let reorder = placement.reorder else {
                    arguments.append(dnnl_exec_arg_t(arg: binding.argument, memory: user))
                    continue
                }
                var wanted = binding.primitiveDescriptor
                let staged = try memory(wanted, scratch.buffer(slot: slot, bytes: dnnl_memory_desc_get_size(&wanted)))
                if binding.isOutput {
                    outputReorders.append((reorder, staged, user, placement.reorderScratchpad))
                } else {
                    try context.run(reorder, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: user),
                                              dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: staged)]
                                    + scratchpadArgument(placement.reorderScratchpad, slot: reorderScratchpadSlot))
                }
                arguments.append(dnnl_exec_arg_t(arg: binding.argument, memory: staged))
            }
            try context.run(primitive, arguments)
            for (reorder, staged, user, reorderScratchpad) in outputReorders {
                try context.run(reorder, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: staged),
                                          dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: user)]
                                + scratchpadArgument(reorderScratchpad, slot: reorderScratchpadSlot))
            }
        }
    }
}

/// One argument of ``DNNLPrimitive/execute(operands:context:)``.
enum DNNLOperand {
    /// Caller-owned memory in the argument's plain layout.
    case pointer(UnsafeMutableRawPointer)
    /// A tensor: an input in whichever layout it holds, or an output made by ``DNNLPrimitive/output(_:shape:)``
    /// (or a plain tensor, which the result is reordered into).
    case tensor(Tensor)
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
    func make(_ descriptor: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer) throws -> dnnl_memory_t {
        var descriptor = descriptor
        var created: dnnl_memory_t?
        try DNNL.check(dnnl_memory_create(&created, &descriptor, engine, pointer), "dnnl_memory_create")
        guard let created else { throw TensorError.backend(library: "oneDNN", call: "dnnl_memory_create", status: "null") }
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

/// The CPU engine and stream, the primitive cache and the execution lock.
final class DNNLContext: @unchecked Sendable {
    let engine: dnnl_engine_t
    private let stream: dnnl_stream_t
    private let lock = NSLock()
    private let executionLock = NSLock()
    private var cache: [String: DNNLPrimitive] = [:]
    private var reorders: [String: (primitive: dnnl_primitive_t, scratchpad: dnnl_memory_desc_t?)] = [:]
    private let scratch = DNNLScratch()

    private static let made: Result<DNNLContext, Error> = Result { try DNNLContext() }

    /// The process-wide context.
    static func shared() throws -> DNNLContext { try made.get() }

    private init() throws {
        // Before oneDNN's OpenMP workers exist, so they inherit it.
        ComputeThreads.flushDenormalsOnCurrentThread()
        var engine: dnnl_engine_t?
        try DNNL.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        guard let engine else { throw TensorError.backend(library: "oneDNN", call: "dnnl_engine_create", status: "null") }
        var stream: dnnl_stream_t?
        try DNNL.check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        guard let stream else { throw TensorError.backend(library: "oneDNN", call: "dnnl_stream_create", status: "null") }
        self.engine = engine
        self.stream = stream
    }

    /// The cached primitive for `key`, created by `make` on first use.
    func primitive(_ key: String, make: () throws -> DNNLPrimitive) throws -> DNNLPrimitive {
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[key] { return cached }
        let created = try make()
        cache[key] = created
        return created
    }

    /// A cached reorder between two layouts, with the scratchpad it needs.
    func reorderPrimitive(from source: dnnl_memory_desc_t,
                          to destination: dnnl_memory_desc_t) throws -> (primitive: dnnl_primitive_t, scratchpad: dnnl_memory_desc_t?) {
        let key = "reorder|\(DNNL.layoutKey(source))|\(DNNL.layoutKey(destination))"
        lock.lock()
        defer { lock.unlock() }
        if let cached = reorders[key] { return cached }
        var source = source, destination = destination
        let made = try DNNLPrimitive.makeReorder(from: &source, to: &destination, context: self)
        reorders[key] = made
        return made
    }

    /// Copies `source` (in layout `from`) into `destination` (in layout `to`).
    func reorder(from: dnnl_memory_desc_t, _ source: UnsafeMutableRawPointer,
                 to: dnnl_memory_desc_t, _ destination: UnsafeMutableRawPointer) throws {
        let (reorder, scratchpad) = try reorderPrimitive(from: from, to: to)
        try withExecution { scratch in
            let memories = DNNLMemories(engine: engine)
            defer { memories.destroyAll() }
            var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: try memories.make(from, source)),
                             dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: try memories.make(to, destination))]
            if var scratchpad {
                let pointer = try scratch.buffer(slot: 0, bytes: dnnl_memory_desc_get_size(&scratchpad))
                arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: try memories.make(scratchpad, pointer)))
            }
            try run(reorder, arguments)
        }
    }

    func withExecution<R>(_ body: (DNNLScratch) throws -> R) rethrows -> R {
        executionLock.lock()
        defer { executionLock.unlock() }
        return try body(scratch)
    }

    func run(_ primitive: dnnl_primitive_t, _ arguments: [dnnl_exec_arg_t]) throws {
        try DNNL.check(dnnl_primitive_execute(primitive, stream, Int32(arguments.count), arguments), "dnnl_primitive_execute")
        try DNNL.check(dnnl_stream_wait(stream), "dnnl_stream_wait")
    }
}
