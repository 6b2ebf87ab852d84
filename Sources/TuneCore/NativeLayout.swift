import CDNNL

/// A oneDNN memory layout other than plain row-major, such as the channel-blocked `nChw16c` that convolutions,
/// batch norm and eltwise primitives prefer on AVX-512.
///
/// Activations stay in such a layout from one oneDNN op to the next, so a chain of convolution → batch norm →
/// ReLU6 → convolution reorders nothing; a tensor converts to plain row-major only when something reads its elements
/// (see ``Tensor/storage``).
struct NativeLayout {
    /// The layout as oneDNN describes it (dims match the tensor's shape, possibly with padded channels).
    let descriptor: dnnl_memory_desc_t
    /// The plain row-major layout of the same dims, which reading the elements converts to.
    let plain: dnnl_memory_desc_t
    /// A string that identifies the layout, for primitive cache keys.
    let key: String
    /// The blocking of channels (axis 1), when the layout is `nChw{8,16}c` for a 4-D tensor.
    let channelBlock: Int?

    init(_ descriptor: dnnl_memory_desc_t, plain: dnnl_memory_desc_t) throws {
        self.descriptor = descriptor
        self.plain = plain
        key = DNNL.layoutKey(descriptor)
        channelBlock = try Self.channelBlocking(of: descriptor)
    }

    /// The bytes the layout occupies (padded channels included).
    var byteCount: Int {
        var descriptor = descriptor
        return dnnl_memory_desc_get_size(&descriptor)
    }

    func matches(_ other: dnnl_memory_desc_t) -> Bool { DNNL.equal(descriptor, other) }

    private static func channelBlocking(of descriptor: dnnl_memory_desc_t) throws -> Int? {
        guard descriptor.ndims == 4 else { return nil }
        let dims = DNNL.dimensions(of: descriptor)
        for (tag, block) in [(dnnl_nChw16c, 16), (dnnl_nChw8c, 8)] {
            var blocked = dnnl_memory_desc_t()
            try DNNL.check(dnnl_memory_desc_init_by_tag(&blocked, 4, dims.map(Int64.init), dnnl_f32, tag),
                           "dnnl_memory_desc_init_by_tag")
            if DNNL.equal(descriptor, blocked) { return block }
        }
        return nil
    }
}

/// A tensor's elements held in a ``NativeLayout``.
struct NativeStorage {
    let layout: NativeLayout
    let storage: TensorStorage

    /// Uninitialized storage for `layout`.
    init(layout: NativeLayout) {
        self.layout = layout
        storage = TensorStorage(count: layout.byteCount / MemoryLayout<Float>.stride, zeroed: false)
    }
}

extension DNNL {
    /// Whether two descriptors describe the same memory layout.
    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// The logical dims of a descriptor.
    static func dimensions(of descriptor: dnnl_memory_desc_t) -> [Int] {
        var dims = descriptor.dims
        let count = Int(descriptor.ndims)
        return withUnsafeBytes(of: &dims) { Array($0.bindMemory(to: Int64.self).prefix(count)).map(Int.init) }
    }

    /// A deterministic key for a blocked (or plain) layout: dims, padded dims, strides and inner blocks.
    static func layoutKey(_ descriptor: dnnl_memory_desc_t) -> String {
        let count = Int(descriptor.ndims)
        func values<T>(_ tuple: T, _ n: Int) -> [Int64] {
            var tuple = tuple
            return withUnsafeBytes(of: &tuple) { Array($0.bindMemory(to: Int64.self).prefix(n)) }
        }
        let blocking = descriptor.format_desc.blocking
        let blocks = Int(blocking.inner_nblks)
        return "d\(values(descriptor.dims, count))p\(values(descriptor.padded_dims, count))k\(descriptor.format_kind.rawValue)"
            + "s\(values(blocking.strides, count))b\(values(blocking.inner_blks, blocks))i\(values(blocking.inner_idxs, blocks))"
    }
}

extension Tensor {
    /// A tensor whose elements live in `native` (plain storage is made on first read).
    convenience init(shape: Shape, native: NativeStorage) {
        self.init(shape: shape, plainStorage: nil, native: native)
    }

    /// Converts the native layout to plain row-major storage.
    static func plainCopy(of native: NativeStorage, count: Int) throws -> TensorStorage {
        let plain = TensorStorage(count: count, zeroed: false)
        let context = try DNNLContext.shared()
        try context.reorder(from: native.layout.descriptor, UnsafeMutableRawPointer(native.storage.pointer),
                            to: native.layout.plain, UnsafeMutableRawPointer(plain.pointer))
        return plain
    }

    /// The native layout a oneDNN op should use for this tensor's data, when it holds one.
    var nativeLayout: NativeLayout? { native?.layout }

    /// `body(a, b, result, count)` over the whole buffers when `a` and `b` hold the same native layout, giving a
    /// result in that layout; `nil` otherwise. `body` must map zero padding to zero (add, subtract, multiply).
    static func inSharedNativeLayout(_ a: Tensor, _ b: Tensor,
                                     _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor? {
        guard a.shape == b.shape, let left = a.native, let right = b.native, left.layout.key == right.layout.key else {
            return nil
        }
        let result = NativeStorage(layout: left.layout)
        body(left.storage.pointer, right.storage.pointer, result.storage.pointer, left.storage.count)
        return Tensor(shape: a.shape, native: result)
    }
}
