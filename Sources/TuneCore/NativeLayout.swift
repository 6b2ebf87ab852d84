/// A oneDNN memory layout other than plain row-major, such as the channel-blocked `nChw16c` that convolutions,
/// batch norm and eltwise primitives prefer on AVX-512.
///
/// Activations stay in such a layout from one oneDNN op to the next, so a chain of convolution → batch norm →
/// ReLU6 → convolution reorders nothing; a tensor converts to plain row-major only when something reads its elements
/// (see ``Tensor/storage``). That conversion is a Swift copy planned here, when the layout is made: any layout
/// oneDNN describes by blocking can be converted, and one it does not (never an activation's) is refused up front,
/// so reading a tensor's elements cannot fail.
struct NativeLayout {
    /// The layout as oneDNN describes it (dims match the tensor's shape, possibly with padded channels).
    let descriptor: MemoryDescriptor
    /// The plain row-major layout of the same dims, which reading the elements converts to.
    let plain: MemoryDescriptor
    /// A string that identifies the layout, for primitive cache keys.
    let key: String
    /// The blocking of channels (axis 1), when the layout is `nChw{8,16}c` for a 4-D tensor.
    let channelBlock: Int?
    /// How to find each element: see ``RowMajorConversion``.
    private let conversion: RowMajorConversion

    /// Throws when `descriptor` is not a blocked layout of `plain`'s dims.
    init(_ descriptor: MemoryDescriptor, plain: MemoryDescriptor) throws {
        guard descriptor.dimensions == plain.dimensions else {
            throw TensorError.invalidArgument(op: "NativeLayout",
                                              message: "dims \(descriptor.dimensions) differ from \(plain.dimensions)")
        }
        self.descriptor = descriptor
        self.plain = plain
        key = descriptor.key
        channelBlock = try Self.channelBlocking(of: descriptor)
        conversion = try RowMajorConversion(try descriptor.blocking(), channelBlock: channelBlock)
    }

    /// The bytes the layout occupies (padded channels included).
    var byteCount: Int { descriptor.byteCount }

    func matches(_ other: MemoryDescriptor) -> Bool { descriptor == other }

    /// Copies the elements of `source` (in this layout) to `destination` in row-major order.
    func copyToRowMajor(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>) {
        conversion.copy(source, destination)
    }

    private static func channelBlocking(of descriptor: MemoryDescriptor) throws -> Int? {
        let dims = descriptor.dimensions
        guard dims.count == 4 else { return nil }
        for block in [16, 8] where descriptor == (try MemoryDescriptor(dims, format: .channelBlocked(block))) {
            return block
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

extension Tensor {
    /// A tensor whose elements live in `native` (plain storage is made on first read).
    convenience init(shape: Shape, native: NativeStorage) {
        self.init(shape: shape, elements: .native(native))
    }

    /// Converts the native layout to plain row-major storage.
    static func plainCopy(of native: NativeStorage, count: Int) -> TensorStorage {
        let plain = TensorStorage(count: count, zeroed: false)
        native.layout.copyToRowMajor(native.storage.pointer, plain.pointer)
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
