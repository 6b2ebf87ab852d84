import CDNNL

/// A oneDNN memory descriptor for `f32` data: logical dims plus how the elements are laid out.
struct MemoryDescriptor: Equatable {
    /// The layouts FineTune names itself; primitives may choose others (``any``).
    enum Format {
        /// Row-major (`a`, `ab`, … `abcde`).
        case plain
        /// Whatever the primitive prefers; only for describing a primitive, not memory.
        case any
        /// Channels (axis 1) in blocks of 8 or 16, innermost (`nChw8c`, `nChw16c`); 4-D only.
        case channelBlocked(Int)
        /// Channels last (`nhwc`); 4-D only.
        case channelsLast
    }

    let raw: dnnl_memory_desc_t

    init(raw: dnnl_memory_desc_t) { self.raw = raw }

    /// A descriptor of `dimensions` (rank 1 to 5) in `format`.
    init(_ dimensions: [Int], format: Format) throws {
        let tag = try Self.tag(format, rank: dimensions.count)
        var descriptor = dnnl_memory_desc_t()
        let dims = dimensions.map(Int64.init)
        try DNNL.check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims, dnnl_f32, tag),
                       "dnnl_memory_desc_init_by_tag")
        raw = descriptor
    }

    /// A row-major descriptor.
    static func plain(_ dimensions: [Int]) throws -> MemoryDescriptor { try MemoryDescriptor(dimensions, format: .plain) }
    /// A descriptor that lets the primitive choose its preferred layout.
    static func any(_ dimensions: [Int]) throws -> MemoryDescriptor { try MemoryDescriptor(dimensions, format: .any) }

    private static func tag(_ format: Format, rank: Int) throws -> dnnl_format_tag_t {
        let plainTags: [dnnl_format_tag_t] = [dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde]
        guard (1...plainTags.count).contains(rank) else {
            throw TensorError.invalidArgument(op: "oneDNN", message: "rank \(rank) is not supported")
        }
        switch format {
        case .plain: return plainTags[rank - 1]
        case .any: return dnnl_format_tag_any
        case .channelBlocked(let block) where rank == 4 && (block == 8 || block == 16):
            return block == 8 ? dnnl_nChw8c : dnnl_nChw16c
        case .channelsLast where rank == 4:
            return dnnl_nhwc
        case .channelBlocked, .channelsLast:
            throw TensorError.invalidArgument(op: "oneDNN", message: "layout \(format) is not defined for rank \(rank)")
        }
    }

    static func == (a: MemoryDescriptor, b: MemoryDescriptor) -> Bool {
        var a = a.raw, b = b.raw
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// The logical dims.
    var dimensions: [Int] { Self.values(raw.dims, Int(raw.ndims)).map(Int.init) }

    /// The bytes the layout occupies (padding included); 0 for an empty descriptor.
    var byteCount: Int {
        var raw = raw
        return dnnl_memory_desc_get_size(&raw)
    }

    /// A deterministic key for a blocked (or plain) layout: dims, padded dims, strides and inner blocks.
    var key: String {
        let count = Int(raw.ndims)
        let blocking = raw.format_desc.blocking
        let blocks = Int(blocking.inner_nblks)
        return "d\(Self.values(raw.dims, count))p\(Self.values(raw.padded_dims, count))k\(raw.format_kind.rawValue)"
            + "s\(Self.values(blocking.strides, count))b\(Self.values(blocking.inner_blks, blocks))"
            + "i\(Self.values(blocking.inner_idxs, blocks))"
    }

    /// Where each element lives, for layouts oneDNN describes by blocking (every layout a primitive writes
    /// activations in); throws for other kinds (e.g. `any`, or a vendor-specific opaque format).
    func blocking() throws -> Blocking {
        guard raw.format_kind == dnnl_blocked else {
            throw TensorError.invalidArgument(op: "oneDNN", message: "layout \(key) is not a blocked layout")
        }
        let count = Int(raw.ndims), blocks = Int(raw.format_desc.blocking.inner_nblks)
        let blocking = raw.format_desc.blocking
        let sizes = Self.values(blocking.inner_blks, blocks), axes = Self.values(blocking.inner_idxs, blocks)
        return Blocking(dimensions: dimensions, offset: Int(raw.offset0),
                        strides: Self.values(blocking.strides, count).map(Int.init),
                        innerBlocks: zip(axes, sizes).map { (axis: Int($0), size: Int($1)) },
                        elementCapacity: byteCount / MemoryLayout<Float>.stride)
    }

    /// The first `count` values of one of oneDNN's fixed-size `int64` arrays (imported as tuples).
    private static func values<T>(_ tuple: T, _ count: Int) -> [Int64] {
        var tuple = tuple
        return withUnsafeBytes(of: &tuple) { Array($0.bindMemory(to: Int64.self).prefix(count)) }
    }
}

/// oneDNN's blocked layout in Swift terms. An element at logical index `(i₀, …, iₙ)` lives at
/// `offset + Σ (iₐ / blockₐ) · strides[a] + (its position inside the inner blocks)`, where the inner blocks
/// (outermost first) each split one axis and are stored densely, innermost last.
struct Blocking {
    let dimensions: [Int]
    let offset: Int
    let strides: [Int]
    let innerBlocks: [(axis: Int, size: Int)]
    /// How many `Float`s the layout's memory holds.
    let elementCapacity: Int
}
