/// A pass over a pickle's opcodes, before any is executed, that rejects the first `GLOBAL` outside the allowlist.
///
/// It decodes only argument lengths, so a forbidden global is reported as
/// ``FormatError/forbiddenGlobal(file:module:name:)`` even when something else in the pickle is also broken.
/// `STACK_GLOBAL` takes its names from the stack, so the machine checks those when it runs.
enum PickleGlobalScan {
    /// Throws for the first forbidden `GLOBAL` between `reader.offset` and the first `STOP`; stops quietly at
    /// anything it cannot decode (the machine then reports that).
    static func check(_ start: ByteReader) throws {
        var reader = start
        while let opcode = try? reader.uint8("") {
            if opcode == 0x2e { return }
            if let size = fixed[opcode] {
                guard (try? reader.take(size, "")) != nil else { return }
            } else if let width = counted[opcode] {
                guard let prefix = try? reader.take(width, "") else { return }
                var length: UInt64 = 0
                for (shift, byte) in prefix.enumerated() { length |= UInt64(byte) << (8 * UInt64(shift)) }
                guard length <= UInt64(reader.remaining), (try? reader.take(Int(length), "")) != nil else { return }
            } else if opcode == 0x63 {
                guard let module = line(&reader), let name = line(&reader) else { return }
                guard PickleGlobal(module: module, name: name) != nil else {
                    throw FormatError.forbiddenGlobal(file: reader.file, module: module, name: name)
                }
            } else if !noArgument.contains(opcode) {
                return
            }
        }
    }

    /// Opcodes with a fixed-size argument, and its size.
    private static let fixed: [UInt8: Int] = [0x80: 1, 0x95: 8, 0x71: 1, 0x72: 4, 0x68: 1, 0x6a: 4, 0x4a: 4, 0x4b: 1,
                                              0x4d: 2, 0x47: 8]
    /// Opcodes with a length-prefixed argument, and the prefix's width.
    private static let counted: [UInt8: Int] = [0x8a: 1, 0x8b: 4, 0x58: 4, 0x8c: 1, 0x8d: 8, 0x54: 4, 0x55: 1, 0x42: 4,
                                                0x43: 1, 0x8e: 8]

    /// The opcodes without arguments that the machine knows.
    private static let noArgument: Set<UInt8> = [0x93, 0x94, 0x7d, 0x5d, 0x29, 0x28, 0x74, 0x85, 0x86, 0x87, 0x73, 0x75,
                                                 0x61, 0x65, 0x4e, 0x88, 0x89, 0x52, 0x81, 0x62, 0x51]

    /// A `\n`-terminated line of at most 256 bytes, or `nil`.
    private static func line(_ reader: inout ByteReader) -> String? {
        var bytes: [UInt8] = []
        while let byte = try? reader.uint8("") {
            if byte == 0x0a { return String(validating: bytes, as: UTF8.self) }
            guard bytes.count < 256 else { return nil }
            bytes.append(byte)
        }
        return nil
    }
}
