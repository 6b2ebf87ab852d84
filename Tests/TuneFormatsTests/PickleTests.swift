import Testing
@testable import TuneFormats

@Suite("Pickle machine")
struct PickleTests {
    /// Runs `bytes` (a PROTO 2 header is added unless `bare`) and describes the result.
    func run(_ body: [UInt8], bare: Bool = false) throws -> String {
        let bytes = (bare ? [] : [0x80, 0x02]) + body
        return try bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer, file: "t.pkl")
            let text = try PickleMachine.load(&reader) { Self.describe($0) }
            #expect(reader.offset == bytes.count, "the whole pickle is consumed")
            return text
        }
    }

    /// A compact rendering of a value (test inputs are small and acyclic).
    static func describe(_ value: PickleValue) -> String {
        switch value {
        case .none: return "None"
        case let .bool(flag): return flag ? "True" : "False"
        case let .int(number): return String(number)
        case let .bigInt(bytes): return "big\(bytes.count)"
        case let .float(number): return String(number)
        case let .string(text): return "'\(text)'"
        case let .bytes(bytes): return "b\(bytes)"
        case let .tuple(tuple): return "(" + tuple.items.map(describe).joined(separator: ",") + ")"
        case let .list(list): return "[" + list.items.map(describe).joined(separator: ",") + "]"
        case let .dict(dict): return "{" + dict.entries.map { describe($0.key) + ":" + describe($0.value) }.joined(separator: ",") + "}"
        case let .global(global): return "global(\(global))"
        case let .storage(storage): return "storage(\(storage.key),\(storage.dtype),\(storage.elementCount))"
        case let .tensor(tensor): return "tensor(\(tensor.storage.key),\(tensor.storageOffset),\(tensor.size),\(tensor.stride))"
        }
    }

    static func unicode(_ text: String, opcode: UInt8 = 0x8c) -> [UInt8] {
        let utf8 = Array(text.utf8)
        switch opcode {
        case 0x8c: return [0x8c, UInt8(utf8.count)] + utf8
        case 0x58: return [0x58, UInt8(utf8.count), 0, 0, 0] + utf8
        default: return [0x8d, UInt8(utf8.count), 0, 0, 0, 0, 0, 0, 0] + utf8
        }
    }

    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }

    @Test("integers: BININT, BININT1, BININT2, LONG1")
    func integers() throws {
        #expect(try run([0x4a, 0xfe, 0xff, 0xff, 0xff, 0x2e]) == "-2")
        #expect(try run([0x4b, 0xff, 0x2e]) == "255")
        #expect(try run([0x4d, 0x34, 0x12, 0x2e]) == "4660")
        #expect(try run([0x8a, 0x02, 0x00, 0x80, 0x2e]) == "-32768")
        #expect(try run([0x8a, 0x00, 0x2e]) == "0")
        #expect(try run([0x8a, 0x0a] + PyTorchCheckpoint.legacyMagic + [0x2e]) == "big10")
        #expect(try run([0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x2e]) == "1.5")
    }

    @Test("strings and bytes of every width")
    func strings() throws {
        #expect(try run(Self.unicode("héllo", opcode: 0x8c) + [0x2e]) == "'héllo'")
        #expect(try run(Self.unicode("abc", opcode: 0x58) + [0x2e]) == "'abc'")
        #expect(try run(Self.unicode("abc", opcode: 0x8d) + [0x2e]) == "'abc'")
        #expect(try run([0x55, 2, 0x68, 0x69, 0x2e]) == "'hi'")
        #expect(try run([0x54, 2, 0, 0, 0, 0x68, 0x69, 0x2e]) == "'hi'")
        #expect(try run([0x43, 2, 1, 2, 0x2e]) == "b[1, 2]")
        #expect(try run([0x42, 1, 0, 0, 0, 9, 0x2e]) == "b[9]")
        #expect(try run([0x8e, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0x2e]) == "b[7]")
    }

    @Test("None, booleans and tuples of every arity")
    func tuples() throws {
        #expect(try run([0x4e, 0x88, 0x89, 0x87, 0x2e]) == "(None,True,False)")
        #expect(try run([0x4e, 0x85, 0x2e]) == "(None)")
        #expect(try run([0x4e, 0x88, 0x86, 0x2e]) == "(None,True)")
        #expect(try run([0x29, 0x2e]) == "()")
        #expect(try run([0x28, 0x4b, 1, 0x4b, 2, 0x4b, 3, 0x4b, 4, 0x74, 0x2e]) == "(1,2,3,4)")
    }

    @Test("lists and dicts with APPEND(S), SETITEM(S), and memo sharing through BINPUT/BINGET")
    func containers() throws {
        #expect(try run([0x5d, 0x4b, 1, 0x61, 0x28, 0x4b, 2, 0x4b, 3, 0x65, 0x2e]) == "[1,2,3]")
        #expect(try run([0x7d, 0x4b, 1, 0x4b, 2, 0x73, 0x28, 0x4b, 3, 0x4b, 4, 0x75, 0x2e]) == "{1:2,3:4}")
        // list memoized, put in a tuple, then appended to: the tuple sees the append (shared, as in Python).
        #expect(try run([0x5d, 0x72, 9, 0, 0, 0, 0x6a, 9, 0, 0, 0, 0x4b, 5, 0x61, 0x86, 0x2e]) == "([5],[5])")
        #expect(try run([0x5d, 0x94, 0x68, 0, 0x4b, 5, 0x61, 0x86, 0x2e]) == "([5],[5])")
    }

    @Test("protocol 4 framing, STACK_GLOBAL, NEWOBJ and BUILD")
    func protocol4() throws {
        let body: [UInt8] = [0x80, 0x04, 0x95, 40, 0, 0, 0, 0, 0, 0, 0]
            + Self.unicode("collections") + [0x94] + Self.unicode("OrderedDict") + [0x94, 0x93, 0x94, 0x29, 0x81]
            + Self.unicode("k") + [0x4b, 1, 0x73, 0x7d, 0x62, 0x2e]
        #expect(try run(body, bare: true) == "{'k':1}")
    }

    @Test("REDUCE builds tensors through _rebuild_tensor_v2, _rebuild_tensor and _rebuild_parameter from persistent ids")
    func tensors() throws {
        let storage: [UInt8] = [0x28] + Self.unicode("storage") + Self.global("torch", "HalfStorage") + Self.unicode("7")
            + Self.unicode("cpu") + [0x4b, 6, 0x74, 0x51]
        let v2: [UInt8] = Self.global("torch._utils", "_rebuild_tensor_v2") + [0x28] + storage
            + [0x4b, 1, 0x4b, 2, 0x4b, 2, 0x86, 0x4b, 2, 0x4b, 1, 0x86, 0x89, 0x4e, 0x74, 0x52]
        #expect(try run(v2 + [0x2e]) == "tensor(7,1,[2, 2],[2, 1])")
        let v1: [UInt8] = Self.global("torch._utils", "_rebuild_tensor") + [0x28] + storage
            + [0x4b, 0, 0x4b, 6, 0x85, 0x4b, 1, 0x85, 0x74, 0x52]
        #expect(try run(v1 + [0x2e]) == "tensor(7,0,[6],[1])")
        let parameter = Self.global("torch._utils", "_rebuild_parameter") + v2 + [0x88, 0x7d, 0x87, 0x52]
        #expect(try run(parameter + [0x2e]) == "tensor(7,1,[2, 2],[2, 1])")
        #expect(try run(storage + [0x2e]) == "storage(7,float16,6)")
    }

    @Test("forbidden globals are refused by name, with GLOBAL and STACK_GLOBAL")
    func forbidden() throws {
        for (module, name) in [("os", "system"), ("builtins", "eval"), ("posix", "system"), ("torch", "load"),
                               ("collections", "defaultdict")] {
            #expect(throws: FormatError.forbiddenGlobal(file: "t.pkl", module: module, name: name)) {
                try run(Self.global(module, name) + Self.unicode("echo hi") + [0x85, 0x52, 0x2e])
            }
            #expect(throws: FormatError.forbiddenGlobal(file: "t.pkl", module: module, name: name)) {
                try run(Self.unicode(module) + Self.unicode(name) + [0x93, 0x2e])
            }
        }
    }

    @Test("a forbidden GLOBAL is reported even when an earlier opcode is broken")
    func forbiddenFirst() throws {
        // APPEND on an empty stack comes first; the global after it still decides the error.
        #expect(throws: FormatError.forbiddenGlobal(file: "t.pkl", module: "posix", name: "system")) {
            try run([0x61] + Self.global("posix", "system") + [0x2e])
        }
    }

    @Test("structural errors are malformedPickle or truncated, never a crash")
    func malformed() throws {
        #expect(throws: FormatError.malformedPickle(file: "t.pkl", offset: 2, message: "stack underflow")) { try run([0x2e]) }
        #expect(throws: FormatError.malformedPickle(file: "t.pkl", offset: 2, message: "unsupported opcode 0x69")) {
            try run([0x69, 0x2e])
        }
        #expect(throws: FormatError.malformedPickle(file: "t.pkl", offset: 2, message: "memo key 3 was never stored")) {
            try run([0x68, 3, 0x2e])
        }
        #expect(throws: FormatError.truncated(file: "t.pkl", offset: 7, context: "a BINUNICODE string")) {
            try run([0x58, 0xff, 0xff, 0xff, 0x7f, 0x2e])
        }
        #expect(throws: FormatError.self) { try run([0x28, 0x4b, 1, 0x61, 0x2e]) } // APPEND on an int
        #expect(throws: FormatError.self) { try run([0x4b, 1, 0x29, 0x52, 0x2e]) } // REDUCE on an int
        #expect(throws: FormatError.self) { try run([0x5d, 0x28, 0x61, 0x2e]) } // APPEND pops past MARK
        #expect(throws: FormatError.self) { try run([0x80, 0x09, 0x4e, 0x2e], bare: true) } // protocol 9
        #expect(throws: FormatError.self) { try run([0x4e, 0x4e, 0x2e]) } // two values left
    }

    @Test("a cyclic list and a deeply nested structure are freed without recursion")
    func cyclesAndDepth() throws {
        // l = []; l.append(l)
        let cyclic: [UInt8] = [0x80, 0x02, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e]
        let kind = try cyclic.withUnsafeBytes { buffer -> String in
            var reader = ByteReader(buffer, file: "cycle.pkl")
            return try PickleMachine.load(&reader) { $0.kind }
        }
        #expect(kind == "list")
        var deep: [UInt8] = [0x4e]
        deep += [UInt8](repeating: 0x85, count: 200_000) // TUPLE1 nested 200 000 deep
        deep.append(0x2e)
        let bytes: [UInt8] = [0x80, 0x02] + deep
        let depth = try bytes.withUnsafeBytes { buffer -> Int in
            var reader = ByteReader(buffer, file: "deep.pkl")
            return try PickleMachine.load(&reader) { value -> Int in
                guard case let .tuple(outer) = value else { return 0 }
                return outer.items.count
            }
        }
        #expect(depth == 1)
    }
}
