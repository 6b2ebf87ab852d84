/// Emits the protocol-2 pickle opcodes the PyTorch zip writer needs.
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 0x02] // PROTO 2

    mutating func global(_ module: String, _ name: String) {
        bytes.append(0x63)
        bytes.append(contentsOf: Array(module.utf8) + [0x0a] + Array(name.utf8) + [0x0a])
    }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes.append(0x58) // BINUNICODE
        bytes.appendLittleEndian(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func int(_ value: Int) {
        if (0..<256).contains(value) {
            bytes += [0x4b, UInt8(value)] // BININT1
        } else if (0..<65536).contains(value) {
            bytes.append(0x4d) // BININT2
            bytes.appendLittleEndian(UInt16(value))
        } else if let small = Int32(exactly: value) {
            bytes.append(0x4a) // BININT
            bytes.appendLittleEndian(small)
        } else {
            bytes += [0x8a, 8] // LONG1
            bytes.appendLittleEndian(Int64(value))
        }
    }

    mutating func mark() { bytes.append(0x28) }
    mutating func tuple() { bytes.append(0x74) }
    mutating func emptyTuple() { bytes.append(0x29) }
    mutating func reduce() { bytes.append(0x52) }
    mutating func setItems() { bytes.append(0x75) }
    mutating func persistentID() { bytes.append(0x51) }
    mutating func newFalse() { bytes.append(0x89) }
    mutating func stop() { bytes.append(0x2e) }

    /// A tuple of integers.
    mutating func intTuple(_ values: [Int]) {
        mark()
        values.forEach { int($0) }
        tuple()
    }

    /// `collections.OrderedDict()`.
    mutating func emptyOrderedDict() {
        global("collections", "OrderedDict")
        emptyTuple()
        reduce()
    }
}
