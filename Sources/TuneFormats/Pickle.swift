/// A small pickle virtual machine for PyTorch weight pickles (protocols 2–5).
///
/// It understands only the opcodes state dictionaries use. Globals are checked against an allowlist
/// (``PickleGlobal``) the moment `GLOBAL`/`STACK_GLOBAL` is read, and `REDUCE`, `NEWOBJ` and `BUILD` apply
/// those few callables natively in Swift: nothing from the file is ever executed. Every length is checked
/// against the bytes that remain, and the stack and memo are bounded.
struct PickleMachine {
    /// The largest stack or memo the machine accepts.
    static let maximumStackDepth = 1 << 20
    static let maximumMemoCount = 1 << 20

    private var reader: ByteReader
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every container made, so ``dismantle()`` can break cycles and deep nesting without recursion.
    private var sequences: [PickleSequence] = []
    private var dictionaries: [PickleDictionary] = []
    private var opcodeOffset = 0
    /// Every storage a persistent id named, in order of first appearance.
    private(set) var storages: [TorchStorageReference] = []
    private var storageKeys: Set<String> = []

    /// A machine reading the pickle that starts at `reader.offset`.
    init(reader: ByteReader) {
        self.reader = reader
    }

    /// The cursor after the last pickle run.
    var offset: Int { reader.offset }

    /// Runs one pickle from the cursor to its `STOP` and hands the result to `extract`, whose result is returned.
    /// The pickle's containers are emptied afterwards, so `extract` must copy out what it needs.
    static func load<T>(_ reader: inout ByteReader, _ extract: (PickleValue) throws -> T) throws -> T {
        try loadWithStorages(&reader) { value, _ in try extract(value) }
    }

    /// Like ``load(_:_:)``, also passing `extract` every storage the pickle's persistent ids named, in order.
    static func loadWithStorages<T>(_ reader: inout ByteReader,
                                    _ extract: (PickleValue, [TorchStorageReference]) throws -> T) throws -> T {
        try PickleGlobalScan.check(reader)
        var machine = PickleMachine(reader: reader)
        defer { machine.dismantle() }
        let value = try machine.run()
        reader = machine.reader
        return try extract(value, machine.storages)
    }

    private func malformed(_ message: String) -> FormatError {
        .malformedPickle(file: reader.file, offset: opcodeOffset, message: message)
    }

    /// Empties every container (iteratively), so deep or cyclic structures are freed without deep recursion.
    mutating func dismantle() {
        stack.removeAll()
        memo.removeAll()
        for sequence in sequences { sequence.items.removeAll() }
        for dictionary in dictionaries { dictionary.removeAll() }
        sequences.removeAll()
        dictionaries.removeAll()
    }

    private mutating func push(_ value: PickleValue) throws {
        guard stack.count < Self.maximumStackDepth else { throw malformed("stack deeper than \(Self.maximumStackDepth)") }
        stack.append(value)
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw malformed("stack underflow") }
        if let mark = marks.last, stack.count < mark { throw malformed("pop past a MARK") }
        return value
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last else { throw malformed("stack underflow") }
        return value
    }

    /// Pops everything above the last MARK, and the mark.
    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK on the stack") }
        guard mark <= stack.count else { throw malformed("MARK above the stack top") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func makeSequence(_ items: [PickleValue]) -> PickleSequence {
        let sequence = PickleSequence(items)
        sequences.append(sequence)
        return sequence
    }

    private mutating func makeDictionary() -> PickleDictionary {
        let dictionary = PickleDictionary()
        dictionaries.append(dictionary)
        return dictionary
    }

    private mutating func memoize(_ index: Int) throws {
        guard memo.count < Self.maximumMemoCount || memo[index] != nil else {
            throw malformed("memo larger than \(Self.maximumMemoCount)")
        }
        memo[index] = try top()
    }

    private mutating func fetch(_ index: Int) throws {
        guard let value = memo[index] else { throw malformed("memo key \(index) was never stored") }
        try push(value)
    }

    private mutating func text(_ count: Int, _ context: String) throws -> String {
        let bytes = try reader.take(count, context)
        guard let string = String(validating: bytes, as: UTF8.self) else { throw malformed("\(context) is not UTF-8") }
        return string
    }

    /// A `\n`-terminated line (for `GLOBAL`), at most 256 bytes.
    private mutating func line(_ context: String) throws -> String {
        let start = reader.offset
        var length = 0
        while true {
            guard length < 256 else { throw malformed("\(context) longer than 256 bytes") }
            guard start + length < reader.bytes.count else {
                throw FormatError.truncated(file: reader.file, offset: start, context: context)
            }
            if reader.bytes[start + length] == 0x0a { break }
            length += 1
        }
        let result = try text(length, context)
        _ = try reader.take(1, context)
        return result
    }

    private mutating func length(_ value: UInt64, _ context: String) throws -> Int {
        guard value <= UInt64(reader.remaining) else {
            throw FormatError.truncated(file: reader.file, offset: reader.offset, context: context)
        }
        return Int(value)
    }

    private mutating func global(module: String, name: String) throws -> PickleValue {
        guard let resolved = PickleGlobal(module: module, name: name) else {
            throw FormatError.forbiddenGlobal(file: reader.file, module: module, name: name)
        }
        return .global(resolved)
    }

    /// Executes opcodes until `STOP` and returns the value left on the stack.
    mutating func run() throws -> PickleValue {
        while true {
            opcodeOffset = reader.offset
            let opcode = try reader.uint8("a pickle opcode")
            switch opcode {
            case 0x80: // PROTO
                let version = try reader.uint8("the PROTO version")
                guard version <= 5 else { throw malformed("unsupported pickle protocol \(version)") }
            case 0x95: // FRAME
                _ = try reader.uint64("the FRAME length")
            case 0x2e: // STOP
                let value = try pop()
                guard stack.isEmpty, marks.isEmpty else { throw malformed("STOP with \(stack.count) values left on the stack") }
                return value
            case 0x63: // GLOBAL
                let module = try line("the GLOBAL module")
                let name = try line("the GLOBAL name")
                try push(try global(module: module, name: name))
            case 0x93: // STACK_GLOBAL
                guard case let .string(name) = try pop(), case let .string(module) = try pop() else {
                    throw malformed("STACK_GLOBAL needs two strings")
                }
                try push(try global(module: module, name: name))
            case 0x71: // BINPUT
                try memoize(Int(try reader.uint8("the BINPUT index")))
            case 0x72: // LONG_BINPUT
                try memoize(Int(try reader.uint32("the LONG_BINPUT index")))
            case 0x94: // MEMOIZE
                try memoize(memo.count)
            case 0x68: // BINGET
                try fetch(Int(try reader.uint8("the BINGET index")))
            case 0x6a: // LONG_BINGET
                try fetch(Int(try reader.uint32("the LONG_BINGET index")))
            case 0x7d: // EMPTY_DICT
                try push(.dict(makeDictionary()))
            case 0x5d: // EMPTY_LIST
                try push(.list(makeSequence([])))
            case 0x29: // EMPTY_TUPLE
                try push(.tuple(makeSequence([])))
            case 0x28: // MARK
                guard marks.count < Self.maximumStackDepth else { throw malformed("too many MARKs") }
                marks.append(stack.count)
            case 0x74: // TUPLE
                let items = try popToMark()
                try push(.tuple(makeSequence(items)))
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let count = Int(opcode - 0x84)
                var items = [PickleValue]()
                for _ in 0..<count { items.append(try pop()) }
                try push(.tuple(makeSequence(items.reversed())))
            case 0x73: // SETITEM
                let value = try pop()
                let key = try pop()
                try dictionary(try top()).set(key, value)
            case 0x75: // SETITEMS
                let items = try popToMark()
                guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of items") }
                let target = try dictionary(try top())
                for pair in stride(from: 0, to: items.count, by: 2) { target.set(items[pair], items[pair + 1]) }
            case 0x61: // APPEND
                let value = try pop()
                try list(try top()).items.append(value)
            case 0x65: // APPENDS
                let items = try popToMark()
                try list(try top()).items.append(contentsOf: items)
            case 0x4a: // BININT
                try push(.int(Int(try reader.int32("a BININT"))))
            case 0x4b: // BININT1
                try push(.int(Int(try reader.uint8("a BININT1"))))
            case 0x4d: // BININT2
                try push(.int(Int(try reader.uint16("a BININT2"))))
            case 0x8a: // LONG1
                let count = Int(try reader.uint8("the LONG1 length"))
                try push(integer(try reader.take(count, "a LONG1")))
            case 0x8b: // LONG4
                let count = try length(UInt64(try reader.uint32("the LONG4 length")), "a LONG4")
                guard count <= 64 else { throw malformed("LONG4 of \(count) bytes") }
                try push(integer(try reader.take(count, "a LONG4")))
            case 0x47: // BINFLOAT (big-endian)
                let bits = UInt64(bigEndian: try reader.take(8, "a BINFLOAT").loadUnaligned(as: UInt64.self))
                try push(.float(Double(bitPattern: bits)))
            case 0x58: // BINUNICODE
                let count = try length(UInt64(try reader.uint32("the BINUNICODE length")), "a BINUNICODE string")
                try push(.string(try text(count, "a BINUNICODE string")))
            case 0x8c: // SHORT_BINUNICODE
                let count = Int(try reader.uint8("the SHORT_BINUNICODE length"))
                try push(.string(try text(count, "a SHORT_BINUNICODE string")))
            case 0x8d: // BINUNICODE8
                let count = try length(try reader.uint64("the BINUNICODE8 length"), "a BINUNICODE8 string")
                try push(.string(try text(count, "a BINUNICODE8 string")))
            case 0x54, 0x55: // BINSTRING, SHORT_BINSTRING
                let declared = opcode == 0x54 ? Int64(try reader.int32("the BINSTRING length"))
                    : Int64(try reader.uint8("the SHORT_BINSTRING length"))
                guard declared >= 0 else { throw malformed("negative BINSTRING length") }
                let count = try length(UInt64(declared), "a BINSTRING")
                let bytes = try reader.take(count, "a BINSTRING")
                try push(String(validating: bytes, as: UTF8.self).map(PickleValue.string) ?? .bytes(Array(bytes)))
            case 0x42: // BINBYTES
                let count = try length(UInt64(try reader.uint32("the BINBYTES length")), "a BINBYTES")
                try push(.bytes(Array(try reader.take(count, "a BINBYTES"))))
            case 0x43: // SHORT_BINBYTES
                let count = Int(try reader.uint8("the SHORT_BINBYTES length"))
                try push(.bytes(Array(try reader.take(count, "a SHORT_BINBYTES"))))
            case 0x8e: // BINBYTES8
                let count = try length(try reader.uint64("the BINBYTES8 length"), "a BINBYTES8")
                try push(.bytes(Array(try reader.take(count, "a BINBYTES8"))))
            case 0x4e: // NONE
                try push(.none)
            case 0x88: // NEWTRUE
                try push(.bool(true))
            case 0x89: // NEWFALSE
                try push(.bool(false))
            case 0x52: // REDUCE
                let arguments = try pop()
                let callable = try pop()
                try push(try apply(callable, arguments))
            case 0x81: // NEWOBJ
                let arguments = try pop()
                let type = try pop()
                guard case .global(.orderedDict) = type else { throw malformed("NEWOBJ of \(type.kind)") }
                guard case let .tuple(items) = arguments, items.items.isEmpty else {
                    throw malformed("NEWOBJ OrderedDict with arguments")
                }
                try push(.dict(makeDictionary()))
            case 0x62: // BUILD
                let state = try pop()
                switch try top() {
                case .dict, .tensor: _ = state // State such as `_metadata` or backward hooks is not needed.
                case let other: throw malformed("BUILD on \(other.kind)")
                }
            case 0x51: // BINPERSID
                let id = try pop()
                try push(try persistentLoad(id))
            default:
                throw malformed("unsupported opcode 0x\(String(opcode, radix: 16))")
            }
        }
    }

    private func dictionary(_ value: PickleValue) throws -> PickleDictionary {
        guard case let .dict(dictionary) = value else { throw malformed("expected a dict, found \(value.kind)") }
        return dictionary
    }

    private func list(_ value: PickleValue) throws -> PickleSequence {
        guard case let .list(list) = value else { throw malformed("expected a list, found \(value.kind)") }
        return list
    }

    /// A LONG1/LONG4 little-endian two's-complement integer.
    private func integer(_ bytes: UnsafeRawBufferPointer) -> PickleValue {
        guard !bytes.isEmpty else { return .int(0) }
        guard bytes.count <= 8 else { return .bigInt(Array(bytes)) }
        var value: UInt64 = 0
        for (shift, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        if bytes.count < 8, bytes[bytes.count - 1] & 0x80 != 0 { value |= UInt64.max << (8 * UInt64(bytes.count)) }
        return .int(Int(Int64(bitPattern: value)))
    }

    /// The items of a tuple of ints (a tensor size or stride).
    private func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard case let .tuple(tuple) = value else { throw malformed("\(what) is \(value.kind), not a tuple") }
        return try tuple.items.map {
            guard case let .int(number) = $0 else { throw malformed("\(what) holds \($0.kind)") }
            return number
        }
    }

    /// Applies an allowlisted callable natively.
    private mutating func apply(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case let .global(function) = callable else { throw malformed("REDUCE on \(callable.kind)") }
        guard case let .tuple(tuple) = arguments else { throw malformed("REDUCE arguments are \(arguments.kind)") }
        let items = tuple.items
        switch function {
        case .orderedDict:
            guard items.isEmpty else { throw malformed("OrderedDict called with arguments") }
            return .dict(makeDictionary())
        case .rebuildTensorV2, .rebuildTensor:
            let range = function == .rebuildTensor ? 4...4 : 6...7
            guard range.contains(items.count) else {
                throw malformed("tensor rebuild called with \(items.count) arguments")
            }
            guard case let .storage(storage) = items[0] else { throw malformed("tensor rebuilt from \(items[0].kind)") }
            guard case let .int(offset) = items[1] else { throw malformed("tensor storage offset is \(items[1].kind)") }
            return .tensor(TorchTensorReference(storage: storage, storageOffset: offset,
                                                size: try integers(items[2], "tensor size"),
                                                stride: try integers(items[3], "tensor stride")))
        case .rebuildParameter:
            guard items.count == 3, case .tensor = items[0] else { throw malformed("_rebuild_parameter needs a tensor") }
            return items[0]
        case .storageType:
            throw malformed("a storage type is not callable")
        }
    }

    /// Resolves `('storage', torch.XStorage, key, location, numel, …)` to a storage reference.
    private mutating func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        guard case let .tuple(tuple) = id, tuple.items.count >= 5 else { throw malformed("persistent id is not a storage tuple") }
        let items = tuple.items
        guard case .string("storage") = items[0] else { throw malformed("persistent id is not a storage") }
        guard case let .global(.storageType(dtype)) = items[1] else { throw malformed("persistent id has no storage type") }
        guard case let .string(key) = items[2] else { throw malformed("storage key is \(items[2].kind)") }
        guard case let .int(count) = items[4], count >= 0 else { throw malformed("storage \(key) has a bad element count") }
        let storage = TorchStorageReference(key: key, dtype: dtype, elementCount: count)
        if storageKeys.insert(key).inserted { storages.append(storage) }
        return .storage(storage)
    }
}
