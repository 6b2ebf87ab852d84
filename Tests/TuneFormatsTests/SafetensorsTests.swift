import Foundation
import Testing
import TuneCore
@testable import TuneFormats

@Suite("Safetensors")
struct SafetensorsTests {
    typealias F = Fixtures

    /// A safetensors file from a literal JSON header and data bytes.
    static func file(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes = [UInt8]()
        bytes.appendLittleEndian(declaredLength ?? UInt64(json.count))
        return bytes + json + data
    }

    func read(_ bytes: [UInt8]) throws -> StateDictionary {
        try F.with(bytes) { try Safetensors.read(bytes: $0, file: "t.safetensors") }
    }

    @Test("a written file reads back equal, with sorted keys, space padding and metadata")
    func roundTrip() throws {
        let state = try F.smallState()
        let path = F.temporaryPath(".safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(state, to: path, metadata: ["format": "pt"])
        #expect(try WeightFile.format(path: path) == .safetensors)
        let back = try WeightFile.read(path: path)
        #expect(F.equal(state, back))
        #expect(try Safetensors.metadata(path: path) == ["format": "pt"])
        let bytes = Safetensors.encode(state, metadata: ["format": "pt"])
        let length = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(length % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        #expect(header.hasPrefix("{\"__metadata__\""))
        #expect(header.range(of: "\"bn.running_mean\"")!.lowerBound < header.range(of: "\"conv.bias\"")!.lowerBound)
    }

    @Test("F16, BF16, F64 and I64 are converted to Float and their dtypes recorded")
    func dtypes() throws {
        let data = F.encode([1.5, -2], as: .float16) + F.encode([3], as: .bfloat16) + F.encode([0.25], as: .float64)
            + F.encode([12], as: .int64)
        let header = """
        {"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[],"data_offsets":[4,6]},\
        "d":{"dtype":"F64","shape":[1,1],"data_offsets":[6,14]},"i":{"dtype":"I64","shape":[1],"data_offsets":[14,22]}}
        """
        let state = try read(Self.file(header: header, data: data))
        #expect(state.names == ["h", "b", "d", "i"])
        #expect(state["h"]?.scalars == [1.5, -2])
        #expect(state["b"]?.scalars == [3])
        #expect(state["d"]?.shape == [1, 1])
        #expect(state["d"]?.scalars == [0.25])
        #expect(state.entry(named: "i")?.dtype == .int64)
    }

    @Test("offsets outside the buffer, overlapping tensors, bad shapes and a header past EOF are refused")
    func doctored() throws {
        let data = [UInt8](repeating: 0, count: 16)
        #expect(throws: FormatError.invalidOffsets(file: "t.safetensors", key: "a",
                                                   message: "[0, 32] is outside the 16-byte data buffer")) {
            try read(Self.file(header: #"{"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#, data: data))
        }
        #expect(throws: FormatError.invalidOffsets(file: "t.safetensors", key: "b", message: "overlaps tensor a")) {
            try read(Self.file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                               data: data))
        }
        #expect(throws: FormatError.self) {
            try read(Self.file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, data: data))
        }
        #expect(throws: FormatError.unsupportedDType(file: "t.safetensors", key: "a", dtype: "C64")) {
            try read(Self.file(header: #"{"a":{"dtype":"C64","shape":[2],"data_offsets":[0,16]}}"#, data: data))
        }
        let pastEOF = Self.file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: data,
                                declaredLength: 1 << 40)
        #expect(throws: FormatError.malformedHeader(file: "t.safetensors",
                                                    message: "a header of \(1 << 40) bytes runs past the end of the \(pastEOF.count)-byte file")) {
            try read(pastEOF)
        }
        #expect(throws: FormatError.self) { try read(Self.file(header: "{not json", data: [])) }
        #expect(throws: FormatError.self) { try read(Self.file(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, data: [])) }
    }
}
