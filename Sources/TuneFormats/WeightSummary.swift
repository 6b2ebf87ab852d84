/// What `finetune weights inspect` prints: every tensor's name, shape and stored dtype, and parameter totals.
public struct WeightSummary: Codable, Equatable, Sendable {
    /// One tensor's description.
    public struct Entry: Codable, Equatable, Sendable {
        /// The tensor's key.
        public let name: String
        /// What the file calls it, when FineTune keys it otherwise (Keras `.h5`: `block1_conv1/kernel:0`).
        public let sourceName: String?
        /// Its dimensions, outermost first.
        public let shape: [Int]
        /// The element type the file stored.
        public let dtype: WeightDType
        /// The number of elements.
        public let elementCount: Int
        /// Whether the tensor counts as a learned parameter (see ``WeightSummary/isParameter(name:dtype:)``).
        public let isParameter: Bool
    }

    /// The tensors in file order.
    public let tensors: [Entry]
    /// The elements of every learned parameter (excluding BatchNorm running statistics and counters).
    public let parameterCount: Int
    /// The elements of every tensor.
    public let elementCount: Int

    /// Summarizes `state`.
    public init(_ state: StateDictionary) {
        tensors = state.entries.map {
            Entry(name: $0.name, sourceName: $0.sourceName, shape: $0.shape.dimensions, dtype: $0.dtype,
                  elementCount: $0.tensor.elementCount, isParameter: Self.isParameter(name: $0.sourceName ?? $0.name, dtype: $0.dtype))
        }
        parameterCount = tensors.filter(\.isParameter).reduce(0) { $0 + $1.elementCount }
        elementCount = tensors.reduce(0) { $0 + $1.elementCount }
    }

    /// Whether a tensor is a learned parameter: floating point, and not a BatchNorm buffer (PyTorch's `running_mean`,
    /// `running_var`, `num_batches_tracked`; Keras's `moving_mean`, `moving_variance`). A Keras 3 `.weights.h5` does not
    /// name its weights, so there BatchNorm statistics count as parameters.
    public static func isParameter(name: String, dtype: WeightDType) -> Bool {
        guard dtype.isFloatingPoint else { return false }
        let leaf = name.split(whereSeparator: { $0 == "." || $0 == "/" }).last.map { $0.split(separator: ":").first ?? $0 }
            .map(String.init) ?? name
        return !["running_mean", "running_var", "num_batches_tracked", "moving_mean", "moving_variance"].contains(leaf)
    }

    /// A table: one line per tensor, then the totals.
    public var text: String {
        let width = tensors.map(\.name.count).max() ?? 0
        var lines = tensors.map { tensor -> String in
            let shape = "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"
            let padding = String(repeating: " ", count: width - tensor.name.count)
            return "\(tensor.name)\(padding)  \(tensor.dtype.rawValue)  \(shape)" + (tensor.sourceName.map { "  (\($0))" } ?? "")
        }
        lines.append("\(tensors.count) tensors, \(parameterCount) parameters, \(elementCount) elements in total")
        return lines.joined(separator: "\n")
    }
}
