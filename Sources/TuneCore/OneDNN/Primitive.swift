import CDNNL

/// How one primitive argument is bound: the tensor-side layout (plain unless opaque) and the data direction.
struct DNNLArgument {
    let argument: DNNL.Argument
    let userDescriptor: MemoryDescriptor?
    let isOutput: Bool

    /// An input in plain layout, reordered if the primitive wants another.
    static func input(_ argument: DNNL.Argument, _ user: MemoryDescriptor) -> Self {
        Self(argument: argument, userDescriptor: user, isOutput: false)
    }
    /// An output in plain layout, reordered back if the primitive writes another.
    static func output(_ argument: DNNL.Argument, _ user: MemoryDescriptor) -> Self {
        Self(argument: argument, userDescriptor: user, isOutput: true)
    }
    /// Memory only the primitive understands (e.g. a pooling workspace), passed through as is.
    static func opaque(_ argument: DNNL.Argument, isOutput: Bool) -> Self {
        Self(argument: argument, userDescriptor: nil, isOutput: isOutput)
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

/// A created oneDNN primitive plus the reorders its arguments need.
final class DNNLPrimitive: @unchecked Sendable {
    struct Binding {
        let argument: DNNL.Argument
        let primitiveDescriptor: MemoryDescriptor
        let userDescriptor: MemoryDescriptor
        let reorder: DNNLReorder?
        let isOutput: Bool
    }

    let descriptor: dnnl_primitive_desc_t
    private let primitive: dnnl_primitive_t
    /// The user-managed scratchpad the primitive needs, if any (see ``DNNL/withUserScratchpad(_:)``).
    private let scratchpad: MemoryDescriptor?
    /// The bound arguments, in oneDNN's argument order.
    private(set) var bindings: [Binding] = []
    /// The native layout of each output the primitive writes in a layout other than row-major, made once here
    /// rather than for every result.
    private var outputLayouts: [DNNL.Argument: NativeLayout] = [:]

    /// Creates the primitive for an op descriptor (`dnnl_*_desc_t`), which the factories in `Primitives+*.swift` make.
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
        guard let created else { throw DNNL.missingResult("dnnl_primitive_desc_create") }
        descriptor = created
        scratchpad = DNNL.scratchpadDescriptor(of: created)
        var made: dnnl_primitive_t?
        do {
            try DNNL.check(dnnl_primitive_create(&made, created), "dnnl_primitive_create")
        } catch {
            dnnl_primitive_desc_destroy(created)
            throw error
        }
        guard let made else {
            dnnl_primitive_desc_destroy(created)
            throw DNNL.missingResult("dnnl_primitive_create")
        }
        primitive = made
        for argument in arguments.sorted(by: { $0.argument.code < $1.argument.code }) {
            guard let queried = dnnl_primitive_desc_query_md(created, dnnl_query_exec_arg_md, argument.argument.code),
                  dnnl_memory_desc_get_size(queried) > 0 else { continue }
            let wanted = MemoryDescriptor(raw: queried.pointee)
            let user = argument.userDescriptor ?? wanted
            var reorder: DNNLReorder?
            if user != wanted {
                reorder = argument.isOutput
                    ? try DNNLReorder(from: wanted, to: user, context: context)
                    : try DNNLReorder(from: user, to: wanted, context: context)
            }
            if argument.isOutput, argument.userDescriptor != nil, reorder != nil {
                // A layout FineTune cannot convert to row-major itself stays a plain output, reordered after the run.
                outputLayouts[argument.argument] = try? NativeLayout(wanted, plain: user)
            }
            bindings.append(Binding(argument: argument.argument, primitiveDescriptor: wanted, userDescriptor: user,
                                    reorder: reorder, isOutput: argument.isOutput))
        }
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The byte size the primitive needs for an argument (0 when unused).
    func byteSize(of argument: DNNL.Argument) -> Int {
        bindings.first(where: { $0.argument == argument })?.primitiveDescriptor.byteCount ?? 0
    }

    /// Runs the primitive on caller-owned plain buffers.
    func execute(_ buffers: [DNNL.Argument: UnsafeMutableRawPointer], context: DNNLContext) throws {
        try execute(operands: buffers.mapValues { DNNLOperand.pointer($0) }, context: context)
    }

    /// A new tensor for output `argument` in the layout the primitive writes, so no reorder follows the primitive.
    func output(_ argument: DNNL.Argument, shape: Shape) -> Tensor {
        guard let layout = outputLayouts[argument] else { return Tensor.uninitialized(shape) }
        return Tensor(shape: shape, native: NativeStorage(layout: layout))
    }

    /// Where one argument's data is and how it reaches the primitive's layout.
    private struct Placement {
        let descriptor: MemoryDescriptor
        let pointer: UnsafeMutableRawPointer
        let reorder: DNNLReorder?
    }

    /// Binds a tensor or buffer to `binding`: directly when its layout is the primitive's, else through a reorder.
    private func placement(of operand: DNNLOperand, for binding: Binding, context: DNNLContext) throws -> Placement {
        let throughUserLayout = { (pointer: UnsafeMutableRawPointer) in
            Placement(descriptor: binding.userDescriptor, pointer: pointer, reorder: binding.reorder)
        }
        switch operand {
        case .pointer(let pointer):
            return throughUserLayout(pointer)
        case .tensor(let tensor):
            if let native = tensor.native {
                if native.layout.matches(binding.primitiveDescriptor) {
                    return Placement(descriptor: binding.primitiveDescriptor, pointer: native.storage.rawPointer, reorder: nil)
                }
                // A reorder between layouts needs the same dims; otherwise the row-major copy is reinterpreted.
                if !binding.isOutput && !tensor.hasPlainStorage
                    && native.layout.descriptor.dimensions == binding.primitiveDescriptor.dimensions {
                    let reorder = try context.reorderPrimitive(from: native.layout.descriptor, to: binding.primitiveDescriptor)
                    return Placement(descriptor: native.layout.descriptor, pointer: native.storage.rawPointer, reorder: reorder)
                }
            }
            return throughUserLayout(tensor.rawPointer)
        }
    }

    /// Runs the primitive; tensors are read in whatever layout they hold and outputs made by ``output(_:shape:)``
    /// are written in place.
    func execute(operands: [DNNL.Argument: DNNLOperand], context: DNNLContext) throws {
        let placements = try bindings.map { binding -> Placement in
            guard let operand = operands[binding.argument] else {
                throw TensorError.invalidArgument(op: "oneDNN", message: "argument \(binding.argument) was not bound")
            }
            return try placement(of: operand, for: binding, context: context)
        }
        try context.withExecution { execution in
            let scratch = execution.scratch
            let memories = DNNLMemories(engine: context.engine)
            defer { memories.destroyAll() }
            // Slots 0..<bindings.count stage reordered arguments; the next two hold the scratchpads of the
            // primitive and of the reorders (which run one after another, so they share one).
            func scratchpadMemory(_ descriptor: MemoryDescriptor?, slot: Int) throws -> dnnl_memory_t? {
                guard let descriptor else { return nil }
                return try memories.make(descriptor, scratch.buffer(slot: slot, bytes: descriptor.byteCount))
            }
            let reorderScratchpadSlot = bindings.count + 1
            var arguments: [dnnl_exec_arg_t] = []
            if let memory = try scratchpadMemory(scratchpad, slot: bindings.count) {
                arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory))
            }
            var outputReorders: [(reorder: DNNLReorder, staged: dnnl_memory_t, user: dnnl_memory_t)] = []
            for (slot, (binding, placement)) in zip(bindings, placements).enumerated() {
                let user = try memories.make(placement.descriptor, placement.pointer)
                guard let reorder = placement.reorder else {
                    arguments.append(dnnl_exec_arg_t(arg: binding.argument.code, memory: user))
                    continue
                }
                let wanted = binding.primitiveDescriptor
                let staged = try memories.make(wanted, scratch.buffer(slot: slot, bytes: wanted.byteCount))
                if binding.isOutput {
                    outputReorders.append((reorder, staged, user))
                } else {
                    try execution.run(reorder, from: user, to: staged,
                                    scratchpad: scratchpadMemory(reorder.scratchpad, slot: reorderScratchpadSlot))
                }
                arguments.append(dnnl_exec_arg_t(arg: binding.argument.code, memory: staged))
            }
            try execution.run(primitive, arguments)
            for (reorder, staged, user) in outputReorders {
                try execution.run(reorder, from: staged, to: user,
                                scratchpad: scratchpadMemory(reorder.scratchpad, slot: reorderScratchpadSlot))
            }
        }
    }
}
