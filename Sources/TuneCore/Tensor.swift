/// A dense, contiguous, row-major tensor of `Float` that can take part in reverse-mode autodiff.
///
/// Tensors are reference types: a parameter is one `Tensor` whose values an optimizer updates in place
/// and whose ``gradient`` accumulates across ``backward(seed:)`` calls until cleared.
/// Views made by ``reshaped(to:)`` share storage with their source.
///
/// Results of oneDNN ops may hold their elements in the primitive's preferred layout (``NativeLayout``, e.g.
/// channel-blocked) so the next oneDNN op reads them without a reorder; reading the elements from Swift converts them
/// to row-major once and keeps that copy.
public final class Tensor: @unchecked Sendable {
    /// The dimensions of this tensor.
    public let shape: Shape
    /// Where the elements are: row-major, in a oneDNN layout, or both once a native tensor has been read.
    private var elements: Elements
    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs); op results inherit it.
    public var requiresGradient: Bool
    /// The accumulated gradient of a leaf after ``backward(seed:)``, or `nil`.
    public internal(set) var gradient: Tensor?
    /// How this tensor was computed, when it was recorded on the tape.
    var gradientFunction: GradientFunction?

    /// A tensor's elements: always at least one copy, so reading them cannot fail.
    enum Elements {
        case rowMajor(TensorStorage)
        case native(NativeStorage)
        /// A native tensor after its elements were read: both copies hold the same values.
        case both(NativeStorage, rowMajor: TensorStorage)
    }

    init(shape: Shape, storage: TensorStorage, requiresGradient: Bool = false) {
        self.shape = shape
        elements = .rowMajor(storage)
        self.requiresGradient = requiresGradient
    }

    init(shape: Shape, elements: Elements) {
        self.shape = shape
        self.elements = elements
        requiresGradient = false
    }

    /// The elements in row-major order, converted from the native layout on first use (a copy that cannot fail:
    /// ``NativeLayout`` plans it when the layout is made).
    var storage: TensorStorage {
        switch elements {
        case .rowMajor(let storage), .both(_, let storage):
            return storage
        case .native(let native):
            let made = Tensor.plainCopy(of: native, count: elementCount)
            elements = .both(native, rowMajor: made)
            return made
        }
    }

    /// The elements in a oneDNN layout, when an op produced them that way.
    var native: NativeStorage? {
        switch elements {
        case .rowMajor: return nil
        case .native(let native), .both(let native, _): return native
        }
    }

    /// Whether the elements are held in row-major storage already (no conversion on read).
    var hasPlainStorage: Bool {
        if case .native = elements { return false }
        return true
    }

    /// Drops the native copy before the row-major elements are written in place.
    private func willMutatePlainStorage() {
        elements = .rowMajor(storage)
    }

    deinit {
        // Free a recorded graph iteratively; nested deinits would overflow the stack on deep graphs.
        if let gradientFunction { GradientFunction.dismantle(gradientFunction) }
    }

    /// A tensor with uninitialized contents, for kernels that overwrite every element.
    static func uninitialized(_ shape: Shape) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: shape.elementCount, zeroed: false))
    }

    /// A tensor of zeros.
    public convenience init(zeros shape: Shape, requiresGradient: Bool = false) {
        self.init(shape: shape, storage: TensorStorage(count: shape.elementCount, zeroed: true),
                  requiresGradient: requiresGradient)
    }

    /// A tensor with every element equal to `value`.
    public convenience init(repeating value: Float, shape: Shape, requiresGradient: Bool = false) {
        self.init(shape: shape, storage: TensorStorage(count: shape.elementCount, zeroed: false),
                  requiresGradient: requiresGradient)
        storage.pointer.initialize(repeating: value, count: shape.elementCount)
    }

    /// A tensor holding `scalars` in row-major order; throws when the count does not match `shape`.
    public convenience init(shape: Shape, scalars: [Float], requiresGradient: Bool = false) throws {
        guard scalars.count == shape.elementCount else {
            throw TensorError.shapeMismatch(op: "Tensor.init", shapes: [shape],
                                            message: "\(scalars.count) scalars given for \(shape.elementCount) elements")
        }
        self.init(shape: shape, storage: TensorStorage(count: scalars.count, zeroed: false),
                  requiresGradient: requiresGradient)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.pointer.initialize(from: base, count: source.count) }
        }
    }

    /// A tensor whose elements `body` writes; every element must be written before the tensor is read.
    /// For loaders that fill large batches in place without paying to zero them first.
    public convenience init(unsafeUninitializedShape shape: Shape,
                            initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        self.init(shape: shape, storage: TensorStorage(count: shape.elementCount, zeroed: false))
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: shape.elementCount))
    }

    /// A rank-0 tensor.
    public convenience init(scalar: Float) {
        self.init(repeating: scalar, shape: [])
    }

    /// The number of elements.
    public var elementCount: Int { shape.elementCount }

    /// A copy of the elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: elementCount))
    }

    /// The single element of a one-element tensor.
    public func scalar() throws -> Float {
        guard elementCount == 1 else {
            throw TensorError.shapeMismatch(op: "scalar", shapes: [shape], message: "expected exactly one element")
        }
        return storage.pointer[0]
    }

    /// Read-only access to the elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: elementCount))
    }

    /// Mutable access to the elements, for optimizers and loaders that fill tensors in place.
    /// Do not mutate a tensor that a recorded op still needs for its backward pass.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        willMutatePlainStorage()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: elementCount))
    }

    /// A copy with its own storage and no tape history.
    public func copy() -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.storage.pointer.update(from: storage.pointer, count: elementCount)
        return result
    }

    /// This tensor's values without tape history (shares storage).
    public func detached() -> Tensor {
        Tensor(shape: shape, elements: elements)
    }

    /// Overwrites the elements with those of `other`, which must have the same element count.
    public func assign(_ other: Tensor) throws {
        guard other.elementCount == elementCount else {
            throw TensorError.shapeMismatch(op: "assign", shapes: [shape, other.shape], message: "element counts differ")
        }
        willMutatePlainStorage()
        storage.pointer.update(from: other.storage.pointer, count: elementCount)
    }

    /// Whether every element is finite (no NaN or infinity).
    public var isFinite: Bool {
        let p = storage.pointer
        for i in 0..<elementCount where !p[i].isFinite { return false }
        return true
    }

    /// Clears the accumulated gradient.
    public func zeroGradient() { gradient = nil }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(shape)(\(preview)\(elementCount > 8 ? ", …" : ""))"
    }
}
