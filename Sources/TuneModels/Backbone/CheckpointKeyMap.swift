import TuneCore

/// How a weight file's keys become a model's parameter paths: each key is renamed, and converted when the file lays
/// the tensor out otherwise (Keras's HWIO kernels), or left out on purpose (a classifier the headless model does not
/// have). A family keeps one map per weight source beside its model.
public struct CheckpointKeyMap: Sendable {
    /// Where one file key loads: the model path, and how its tensor is converted on the way.
    public struct Target: Sendable, Equatable {
        public let path: String
        public let conversion: TensorConversion

        public init(_ path: String, _ conversion: TensorConversion = .none) {
            self.path = path
            self.conversion = conversion
        }
    }

    private let target: @Sendable (String) -> Target?
    /// Renames a file's keys in view of all of them at once, before ``target`` (identity by default).
    private var normalization: (@Sendable ([String]) -> [String: String])?

    /// A map that sends each file key to a model path, or to `nil` to leave the tensor out.
    public init(_ rename: @escaping @Sendable (String) -> String?) {
        target = { rename($0).map { Target($0) } }
    }

    /// A map that sends each file key to a model path with a conversion, or to `nil` to leave the tensor out.
    public init(targets: @escaping @Sendable (String) -> Target?) {
        target = targets
    }

    /// A map from a table of file keys; keys not in it are left as they are (so strict loading reports them).
    public init(table: [String: Target]) {
        target = { table[$0] ?? Target($0) }
    }

    /// File keys are the model's paths.
    public static let identity = CheckpointKeyMap { $0 }

    /// File keys are the model's paths, except those under any of `prefixes` (e.g. `_fc.`), which are left out.
    public static func dropping(prefixes: [String]) -> CheckpointKeyMap {
        CheckpointKeyMap { key in prefixes.contains { key.hasPrefix($0) } ? nil : key }
    }

    /// This map reading each file key as `normalize(allKeys)` renames it first (keys it leaves out stay as they are):
    /// for families whose Keras layers are numbered in creation order (`conv2d_7`), a file numbered from another start.
    public func normalizingKeys(_ normalize: @escaping @Sendable (_ keys: [String]) -> [String: String]) -> CheckpointKeyMap {
        var map = self
        map.normalization = normalize
        return map
    }

    /// The model path `key` loads into, or `nil` when it is left out.
    public func modelPath(for key: String) -> String? { target(key)?.path }

    /// `state` under the model's paths, converted to the model's layouts.
    /// - Throws: ``LoadError`` naming `file` when two file keys would load into the same path, or a tensor does not
    ///   have the rank its conversion reads.
    public func apply(to state: [String: Tensor], file: String) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        var sources: [String: String] = [:]
        var duplicates: [String] = []
        var failures: [String] = []
        let renamed = normalization?(Array(state.keys)) ?? [:]
        for key in state.keys.sorted() {
            guard let target = target(renamed[key] ?? key), let tensor = state[key] else { continue }
            if let earlier = sources[target.path] {
                duplicates.append("\(file): \(earlier) and \(key) both load into \(target.path)")
                continue
            }
            sources[target.path] = key
            do {
                result[target.path] = try target.conversion.apply(to: tensor)
            } catch {
                failures.append("\(file): \(key) → \(target.path): \(error)")
            }
        }
        guard duplicates.isEmpty, failures.isEmpty else {
            throw LoadError(duplicateTargets: duplicates, conversionFailures: failures)
        }
        return result
    }
}

/// How a tensor in a weight file is laid out, when not as FineTune's layers keep it (PyTorch's layouts).
public enum TensorConversion: Sendable, Equatable {
    /// Already in the model's layout.
    case none
    /// A Keras convolution kernel `[kh, kw, in, out]` → `[out, in, kh, kw]`.
    case kerasConvolutionKernel
    /// A Keras depthwise kernel `[kh, kw, channels, multiplier]` → `[channels · multiplier, 1, kh, kw]` (output
    /// channel `c · multiplier + m`, as PyTorch's grouped convolution orders them).
    case kerasDepthwiseKernel
    /// A Keras dense kernel `[in, out]` → `[out, in]`.
    case kerasDenseKernel
    /// A Keras 1×1 convolution kernel `[1, 1, in, out]` used as a classifier (MobileNet's `conv_preds`) → a dense
    /// weight `[out, in]`.
    case kerasPointwiseKernelAsDense
    /// A Keras dense kernel reading a flattened `[height, width, channels]` (channels-last) feature map →
    /// `[out, channels · height · width]`, the order FineTune's (channels-first) flatten gives.
    case kerasDenseKernelAfterFlatten(channels: Int, height: Int, width: Int)

    /// `tensor` in the model's layout.
    /// - Throws: ``TensorError`` when `tensor` does not have the rank or size the conversion reads.
    public func apply(to tensor: Tensor) throws -> Tensor {
        func expectRank(_ rank: Int) throws {
            guard tensor.shape.rank == rank else {
                throw TensorError.invalidArgument(op: "convert weights", message: "\(self) reads rank \(rank), got \(tensor.shape)")
            }
        }
        switch self {
        case .none:
            return tensor
        case .kerasConvolutionKernel:
            try expectRank(4)
            return try tensor.transposed([3, 2, 0, 1])
        case .kerasDepthwiseKernel:
            try expectRank(4)
            let (height, width, channels, multiplier) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
            return try tensor.transposed([2, 3, 0, 1]).reshaped(to: [channels * multiplier, 1, height, width])
        case .kerasDenseKernel:
            try expectRank(2)
            return try tensor.transposed([1, 0])
        case .kerasPointwiseKernelAsDense:
            try expectRank(4)
            guard tensor.shape[0] == 1, tensor.shape[1] == 1 else {
                throw TensorError.invalidArgument(op: "convert weights", message: "a 1×1 kernel was expected, got \(tensor.shape)")
            }
            return try tensor.reshaped(to: [tensor.shape[2], tensor.shape[3]]).transposed([1, 0])
        case let .kerasDenseKernelAfterFlatten(channels, height, width):
            try expectRank(2)
            guard tensor.shape[0] == channels * height * width else {
                throw TensorError.invalidArgument(op: "convert weights", message: "a dense kernel after flattening "
                                                  + "\(height)×\(width)×\(channels) needs \(channels * height * width) rows, got \(tensor.shape)")
            }
            let units = tensor.shape[1]
            return try tensor.reshaped(to: [height, width, channels, units]).transposed([3, 2, 0, 1])
                .reshaped(to: [units, channels * height * width])
        }
    }
}
