/// The element type a tensor had in its weight file. FineTune converts every tensor to `Float`;
/// this records what it was, for `finetune weights inspect`.
public enum WeightDType: String, Sendable, Codable, CaseIterable {
    /// IEEE binary32, binary64 and binary16, and bfloat16 (the top half of a binary32).
    case float32, float64, float16, bfloat16
    /// Signed integers of 64, 32, 16 and 8 bits, unsigned bytes and booleans (such as `num_batches_tracked`).
    case int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether the type holds floating-point values (learned parameters rather than counters).
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// The safetensors spelling (`F32`, `BF16`, …).
    public var safetensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float64: return "F64"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int16: return "I16"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    /// The type with safetensors spelling `name`, if FineTune reads it.
    public init?(safetensorsName name: String) {
        guard let match = Self.allCases.first(where: { $0.safetensorsName == name }) else { return nil }
        self = match
    }

    /// The type of a `torch.<Name>Storage` class, if FineTune reads it.
    init?(torchStorageName name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    /// The element at `index` of little-endian `bytes`, converted to `Float`. The caller checks bounds.
    func load(_ bytes: UnsafeRawBufferPointer, element index: Int) -> Float {
        let at = index * byteSize
        switch self {
        case .float32:
            return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        case .float64:
            return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
        case .float16:
            return Self.halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        case .bfloat16:
            let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))
            return Float(bitPattern: UInt32(bits) << 16)
        case .int64:
            return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self)))
        case .int32:
            return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        case .int16:
            return Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int16.self)))
        case .int8:
            return Float(Int8(bitPattern: bytes[at]))
        case .uint8:
            return Float(bytes[at])
        case .bool:
            return bytes[at] == 0 ? 0 : 1
        }
    }

    /// IEEE 754 binary16 to binary32, without relying on the platform's `Float16`.
    static func halfToFloat(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = Int((half >> 10) & 0x1f)
        let mantissa = UInt32(half & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2⁻²⁴.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}
