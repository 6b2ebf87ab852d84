import TuneCore

/// One named tensor of a ``StateDictionary``.
public struct StateEntry: @unchecked Sendable {
    /// The tensor's key, such as `_conv_stem.weight`.
    public let name: String
    /// The values, converted to `Float`.
    public let tensor: Tensor
    /// The element type the file stored.
    public let dtype: WeightDType
    /// What the file itself calls the tensor when FineTune keys it otherwise (a Keras `.h5` weight's
    /// `block1_conv1/kernel:0`, keyed `block1_conv1/0`), or `nil`.
    public let sourceName: String?

    /// The tensor's shape.
    public var shape: Shape { tensor.shape }

    /// An entry named `name` whose file stored `dtype` (and named it `sourceName`, when that differs).
    public init(name: String, tensor: Tensor, dtype: WeightDType = .float32, sourceName: String? = nil) {
        self.name = name
        self.tensor = tensor
        self.dtype = dtype
        self.sourceName = sourceName
    }
}

/// An ordered collection of named tensors, as a PyTorch `state_dict()`: the file's order is kept and names are unique.
public struct StateDictionary: @unchecked Sendable {
    /// The entries in file order.
    public private(set) var entries: [StateEntry] = []
    private var index: [String: Int] = [:]

    /// An empty dictionary.
    public init() {}

    /// A dictionary of `pairs` in order, all recorded as `float32`; throws on a repeated name.
    public init(_ pairs: [(String, Tensor)]) throws {
        for (name, tensor) in pairs { try append(name: name, tensor: tensor) }
    }

    /// Adds a tensor at the end; throws ``FormatError/duplicateKey(file:key:)`` (naming `file`) when `name` exists.
    public mutating func append(name: String, tensor: Tensor, dtype: WeightDType = .float32, file: String = "",
                                sourceName: String? = nil) throws {
        guard index[name] == nil else { throw FormatError.duplicateKey(file: file, key: name) }
        index[name] = entries.count
        entries.append(StateEntry(name: name, tensor: tensor, dtype: dtype, sourceName: sourceName))
    }

    /// The number of tensors.
    public var count: Int { entries.count }
    /// The names in order.
    public var names: [String] { entries.map(\.name) }
    /// The `(name, tensor)` pairs in order.
    public var pairs: [(String, Tensor)] { entries.map { ($0.name, $0.tensor) } }
    /// The tensors by name.
    public var tensors: [String: Tensor] {
        Dictionary(entries.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// The entry named `name`, if any.
    public func entry(named name: String) -> StateEntry? { index[name].map { entries[$0] } }

    /// The tensor named `name`, if any.
    public subscript(name: String) -> Tensor? { entry(named: name)?.tensor }
}
