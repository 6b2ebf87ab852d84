/// A value on the pickle machine's stack. Containers are reference boxes so that memoized lists and dictionaries
/// see later `APPEND`/`SETITEM`s, as in Python.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as its little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleSequence)
    case list(PickleSequence)
    case dict(PickleDictionary)
    /// An allowlisted global, resolved to its native Swift meaning.
    case global(PickleGlobal)
    /// A tensor storage named by a persistent id.
    case storage(TorchStorageReference)
    /// A tensor view of a storage, built by `_rebuild_tensor_v2`.
    case tensor(TorchTensorReference)

    /// A short name of the value's type, for error messages (never recursive).
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global: return "global"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A tuple's or list's items.
final class PickleSequence {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A dictionary's entries in insertion order (a key set twice keeps its first position and its last value).
final class PickleDictionary {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringKeys: [String: Int] = [:]

    func set(_ key: PickleValue, _ value: PickleValue) {
        if case let .string(name) = key {
            if let at = stringKeys[name] {
                entries[at].value = value
                return
            }
            stringKeys[name] = entries.count
        }
        entries.append((key, value))
    }

    /// The value under string key `name`.
    subscript(name: String) -> PickleValue? { stringKeys[name].map { entries[$0].value } }

    func removeAll() {
        entries.removeAll()
        stringKeys.removeAll()
    }
}

/// The globals a weight pickle may name. Anything else is rejected when the `GLOBAL` opcode is read.
enum PickleGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildTensor
    case rebuildParameter
    case storageType(WeightDType)

    /// The allowlisted global `module.name`, or `nil`.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard let dtype = WeightDType(torchStorageName: name) else { return nil }
            self = .storageType(dtype)
        default: return nil
        }
    }
}

/// A storage named by a `('storage', torch.XStorage, key, location, numel, …)` persistent id.
struct TorchStorageReference: Equatable {
    let key: String
    let dtype: WeightDType
    /// The element count the persistent id announces.
    let elementCount: Int
}

/// A strided view of a storage, as `torch._utils._rebuild_tensor_v2` describes it.
struct TorchTensorReference: Equatable {
    let storage: TorchStorageReference
    let storageOffset: Int
    let size: [Int]
    let stride: [Int]
}
