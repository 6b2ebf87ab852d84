import Foundation
import TuneCore

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header mapping names to
/// `{"dtype", "shape", "data_offsets"}` (plus optional `__metadata__`), then the tensor bytes.
public enum Safetensors {
    /// The largest header accepted (the reference implementation's limit).
    static let maximumHeaderSize = 100_000_000

    /// The tensors of the file at `path` (memory-mapped), in data-offset order.
    public static func read(path: String) throws -> StateDictionary {
        let mapped = try MappedFile(path: path)
        return try mapped.withBytes { try read(bytes: $0, file: path) }
    }

    /// The `__metadata__` strings of the file at `path`.
    public static func metadata(path: String) throws -> [String: String] {
        let mapped = try MappedFile(path: path)
        return try mapped.withBytes { try parseHeader($0, file: path).metadata }
    }

    struct HeaderEntry {
        let name: String
        let dtype: WeightDType
        let shape: [Int]
        let range: Range<Int>
    }

    /// Parses and validates the header: lengths, dtypes, shapes against byte counts, offsets inside the data buffer
    /// and not overlapping. Entries come back sorted by offset.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, file: String)
        throws -> (entries: [HeaderEntry], metadata: [String: String], dataStart: Int) {
        func bad(_ message: String) -> FormatError { .malformedHeader(file: file, message: message) }
        var reader = ByteReader(bytes, file: file)
        let declared = try reader.uint64("the safetensors header length")
        guard declared <= UInt64(reader.remaining) else {
            throw bad("a header of \(declared) bytes runs past the end of the \(bytes.count)-byte file")
        }
        guard declared <= UInt64(maximumHeaderSize) else { throw bad("a header of \(declared) bytes is too large") }
        let headerBytes = try reader.take(Int(declared), "the safetensors header")
        let dataStart = reader.offset
        let dataSize = bytes.count - dataStart
        guard headerBytes.first == UInt8(ascii: "{") else { throw bad("the header is not a JSON object") }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw bad("invalid JSON: \(error.localizedDescription)")
        }
        guard let object = json as? [String: Any] else { throw bad("the header is not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [HeaderEntry] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                metadata = strings
                continue
            }
            guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
                  let shapeNumbers = fields["shape"] as? [NSNumber], let offsetNumbers = fields["data_offsets"] as? [NSNumber] else {
                throw bad("tensor \(name) needs dtype, shape and data_offsets")
            }
            guard let dtype = WeightDType(safetensorsName: dtypeName) else {
                throw FormatError.unsupportedDType(file: file, key: name, dtype: dtypeName)
            }
            let shape = try shapeNumbers.map { number -> Int in
                guard let value = Int(exactly: number.doubleValue), value >= 0, value < 1 << 48 else {
                    throw bad("tensor \(name) has a bad dimension \(number)")
                }
                return value
            }
            guard shape.count <= 32 else { throw bad("tensor \(name) has rank \(shape.count)") }
            guard offsetNumbers.count == 2, let begin = Int(exactly: offsetNumbers[0].doubleValue),
                  let end = Int(exactly: offsetNumbers[1].doubleValue) else {
                throw FormatError.invalidOffsets(file: file, key: name, message: "data_offsets must be two integers")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw FormatError.invalidOffsets(file: file, key: name,
                                                 message: "[\(begin), \(end)] is outside the \(dataSize)-byte data buffer")
            }
            var byteCount = dtype.byteSize
            for dimension in shape {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw FormatError.invalidOffsets(file: file, key: name, message: "shape overflows") }
                byteCount = product
            }
            guard byteCount == end - begin else {
                throw FormatError.invalidOffsets(file: file, key: name,
                                                 message: "shape \(shape) of \(dtypeName) needs \(byteCount) bytes, offsets give \(end - begin)")
            }
            entries.append(HeaderEntry(name: name, dtype: dtype, shape: shape, range: begin..<end))
        }
        entries.sort { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }
        for (previous, next) in zip(entries, entries.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw FormatError.invalidOffsets(file: file, key: next.name, message: "overlaps tensor \(previous.name)")
        }
        return (entries, metadata, dataStart)
    }

    /// Reads safetensors `bytes`, naming `file` in errors.
    static func read(bytes: UnsafeRawBufferPointer, file: String) throws -> StateDictionary {
        let header = try parseHeader(bytes, file: file)
        var result = StateDictionary()
        for entry in header.entries {
            let data = UnsafeRawBufferPointer(
                rebasing: bytes[(header.dataStart + entry.range.lowerBound)..<(header.dataStart + entry.range.upperBound)])
            let tensor = Tensor(unsafeUninitializedShape: Shape(entry.shape)) { output in
                for i in 0..<output.count { output[i] = entry.dtype.load(data, element: i) }
            }
            try result.append(name: entry.name, tensor: tensor, dtype: entry.dtype, file: file)
        }
        return result
    }

    /// Writes `state` to `path` as float32 safetensors: header keys sorted, data in the dictionary's order,
    /// the header padded with spaces to a multiple of 8 bytes.
    public static func write(_ state: StateDictionary, to path: String, metadata: [String: String] = [:]) throws {
        try writeFileAtomically(encode(state, metadata: metadata), to: path)
    }

    /// The file bytes for `state`.
    static func encode(_ state: StateDictionary, metadata: [String: String] = [:]) -> [UInt8] {
        var fields: [(String, String)] = []
        var offset = 0
        for entry in state.entries {
            let size = entry.tensor.elementCount * 4
            let shape = entry.shape.dimensions.map(String.init).joined(separator: ",")
            fields.append((entry.name, "{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}"))
            offset += size
        }
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            fields.append(("__metadata__", "{" + pairs.joined(separator: ",") + "}"))
        }
        fields.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        var header = Array(("{" + fields.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + header.count + offset)
        bytes.appendLittleEndian(UInt64(header.count))
        bytes += header
        for entry in state.entries {
            entry.tensor.withUnsafeBufferPointer { values in
                for value in values { bytes.appendLittleEndian(value.bitPattern) }
            }
        }
        return bytes
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
