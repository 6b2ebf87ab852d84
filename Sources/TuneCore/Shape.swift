/// The dimensions of a tensor, outermost first (row-major; images are NCHW).
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The size of each dimension.
    public var dimensions: [Int]

    public init(_ dimensions: [Int]) { self.dimensions = dimensions }
    public init(arrayLiteral elements: Int...) { self.dimensions = elements }

    /// The number of dimensions.
    public var rank: Int { dimensions.count }
    /// The number of elements (1 for a scalar of rank 0).
    public var elementCount: Int { dimensions.reduce(1, *) }

    public subscript(axis: Int) -> Int {
        get { dimensions[axis] }
        set { dimensions[axis] = newValue }
    }

    /// Row-major strides in elements.
    public var strides: [Int] {
        var result = [Int](repeating: 1, count: rank)
        var running = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            result[axis] = running
            running *= dimensions[axis]
        }
        return result
    }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }

    /// Resolves a possibly negative axis (`-1` is the last) or throws naming the op.
    public func normalizedAxis(_ axis: Int, op: String) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved < rank else {
            throw TensorError.invalidArgument(op: op, message: "axis \(axis) is out of range for shape \(self)")
        }
        return resolved
    }

    /// The shape two operands broadcast to (NumPy rules), or `nil` when they are incompatible.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        let rank = max(a.rank, b.rank)
        var result = [Int](repeating: 1, count: rank)
        for offset in 0..<rank {
            let da = offset < a.rank ? a.dimensions[a.rank - 1 - offset] : 1
            let db = offset < b.rank ? b.dimensions[b.rank - 1 - offset] : 1
            guard da == db || da == 1 || db == 1 else { return nil }
            result[rank - 1 - offset] = da == 1 ? db : da
        }
        return Shape(result)
    }
}
