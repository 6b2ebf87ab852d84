import Foundation
import TuneCore
@testable import TuneFormats

/// Builders for weight files the tests generate themselves.
enum Fixtures {
    /// One tensor of a generated legacy checkpoint.
    struct StoredTensor {
        var name: String
        var dtype: WeightDType = .float32
        /// The storage's elements (converted to `dtype`).
        var storage: [Double]
        var shape: [Int]
        var stride: [Int]? = nil
        var offset: Int = 0
        /// Overrides the element count written before the storage bytes.
        var declaredCount: Int? = nil
    }

    static func torchName(_ dtype: WeightDType) -> String {
        switch dtype {
        case .float32: return "FloatStorage"
        case .float64: return "DoubleStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .int16: return "ShortStorage"
        case .int8: return "CharStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        }
    }

    /// Little-endian bytes of `values` as `dtype`.
    static func encode(_ values: [Double], as dtype: WeightDType) -> [UInt8] {
        var bytes = [UInt8]()
        for value in values {
            switch dtype {
            case .float32: bytes.appendLittleEndian(Float(value).bitPattern)
            case .float64: bytes.appendLittleEndian(value.bitPattern)
            case .float16: bytes.appendLittleEndian(Float16(value).bitPattern)
            case .bfloat16: bytes.appendLittleEndian(UInt16(Float(value).bitPattern >> 16))
            case .int64: bytes.appendLittleEndian(Int64(value))
            case .int32: bytes.appendLittleEndian(Int32(value))
            case .int16: bytes.appendLittleEndian(Int16(value))
            case .int8: bytes.append(UInt8(bitPattern: Int8(value)))
            case .uint8: bytes.append(UInt8(value))
            case .bool: bytes.append(value != 0 ? 1 : 0)
            }
        }
        return bytes
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] { Shape(shape).strides }

    /// A legacy (pre-1.6) `torch.save` file holding `tensors` as an OrderedDict, storage keys "0", "1", ….
    static func legacyCheckpoint(_ tensors: [StoredTensor], littleEndian: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [0x80, 0x02, 0x8a, 0x0a] + PyTorchCheckpoint.legacyMagic + [0x2e]
        bytes += [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e] // 1001
        var info = PickleWriter()
        info.bytes.append(0x7d) // EMPTY_DICT
        info.mark()
        info.string("protocol_version"); info.int(1001)
        info.string("little_endian"); info.bytes.append(littleEndian ? 0x88 : 0x89)
        info.setItems(); info.stop()
        bytes += info.bytes
        var main = PickleWriter()
        main.emptyOrderedDict()
        main.mark()
        for (index, tensor) in tensors.enumerated() {
            main.string(tensor.name)
            main.global("torch._utils", "_rebuild_tensor_v2")
            main.mark()
            main.mark()
            main.string("storage")
            main.global("torch", torchName(tensor.dtype))
            main.string(String(index))
            main.string("cpu")
            main.int(tensor.storage.count)
            main.bytes.append(0x4e) // NONE (view metadata)
            main.tuple()
            main.persistentID()
            main.int(tensor.offset)
            main.intTuple(tensor.shape)
            main.intTuple(tensor.stride ?? contiguousStrides(tensor.shape))
            main.newFalse()
            main.emptyOrderedDict()
            main.tuple()
            main.reduce()
        }
        main.setItems()
        main.stop()
        bytes += main.bytes
        var keys = PickleWriter()
        keys.bytes.append(0x5d) // EMPTY_LIST
        keys.mark()
        for index in tensors.indices { keys.string(String(index)) }
        keys.bytes.append(0x65) // APPENDS
        keys.stop()
        bytes += keys.bytes
        for tensor in tensors {
            bytes.appendLittleEndian(Int64(tensor.declaredCount ?? tensor.storage.count))
            bytes += encode(tensor.storage, as: tensor.dtype)
        }
        return bytes
    }

    /// A small state dictionary of float tensors with distinct values.
    static func smallState() throws -> StateDictionary {
        try StateDictionary([
            ("conv.weight", Tensor(shape: [2, 1, 2, 2], scalars: (0..<8).map { Float($0) * 0.5 - 1 })),
            ("conv.bias", Tensor(shape: [2], scalars: [0.25, -0.75])),
            ("bn.running_mean", Tensor(shape: [2], scalars: [1, 2])),
            ("scalar", Tensor(shape: [], scalars: [42])),
        ])
    }

    /// A unique temporary file path.
    static func temporaryPath(_ suffix: String) -> String {
        NSTemporaryDirectory() + "finetune-formats-\(UUID().uuidString)\(suffix)"
    }

    /// Calls `body` with `bytes` as an unsafe buffer.
    static func with<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    /// Whether two dictionaries hold the same names, shapes and values in the same order.
    static func equal(_ a: StateDictionary, _ b: StateDictionary) -> Bool {
        a.names == b.names && zip(a.entries, b.entries).allSatisfy {
            $0.shape == $1.shape && $0.tensor.scalars == $1.tensor.scalars
        }
    }
}
