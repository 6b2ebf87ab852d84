import Foundation
import Testing
import TuneCore
@testable import TuneFormats

@Suite("State dictionaries and summaries")
struct StateDictionaryTests {
    typealias F = Fixtures

    @Test("names are unique and order is kept")
    func order() throws {
        var state = try F.smallState()
        #expect(state.names == ["conv.weight", "conv.bias", "bn.running_mean", "scalar"])
        #expect(throws: FormatError.duplicateKey(file: "", key: "scalar")) {
            try state.append(name: "scalar", tensor: Tensor(scalar: 1))
        }
        #expect(state.tensors.count == 4)
        #expect(state["missing"] == nil)
    }

    @Test("nested checkpoint dictionaries are flattened with dotted names; other values are skipped")
    func nested() throws {
        // {"epoch": 3, "model": {"w": tensor}}
        var pickle = PickleWriter()
        pickle.bytes.append(0x7d)
        pickle.mark()
        pickle.string("epoch"); pickle.int(3)
        pickle.string("model")
        pickle.bytes.append(0x7d)
        pickle.string("w")
        pickle.global("torch._utils", "_rebuild_tensor_v2")
        pickle.mark(); pickle.mark()
        pickle.string("storage"); pickle.global("torch", "FloatStorage"); pickle.string("0"); pickle.string("cpu"); pickle.int(2)
        pickle.tuple(); pickle.persistentID()
        pickle.int(0); pickle.intTuple([2]); pickle.intTuple([1]); pickle.newFalse(); pickle.emptyOrderedDict()
        pickle.tuple(); pickle.reduce()
        pickle.bytes.append(0x73) // SETITEM into "model"
        pickle.setItems(); pickle.stop()
        var zip = ZipWriter(file: "n.pt")
        try zip.add("checkpoint/data.pkl", pickle.bytes)
        try zip.add("checkpoint/data/0", F.encode([7, 8], as: .float32))
        let state = try F.with(try zip.finish()) { try PyTorchCheckpoint.read(bytes: $0, file: "n.pt") }
        #expect(state.names == ["model.w"])
        #expect(state["model.w"]?.scalars == [7, 8])
    }

    @Test("two tensors viewing one zip storage at different offsets are both read")
    func sharedStorage() throws {
        var pickle = PickleWriter()
        pickle.emptyOrderedDict()
        pickle.mark()
        for (name, offset) in [("first", 0), ("second", 2)] {
            pickle.string(name)
            pickle.global("torch._utils", "_rebuild_tensor_v2")
            pickle.mark(); pickle.mark()
            pickle.string("storage"); pickle.global("torch", "DoubleStorage"); pickle.string("s"); pickle.string("cpu"); pickle.int(4)
            pickle.tuple(); pickle.persistentID()
            pickle.int(offset); pickle.intTuple([2]); pickle.intTuple([1]); pickle.newFalse(); pickle.emptyOrderedDict()
            pickle.tuple(); pickle.reduce()
        }
        pickle.setItems(); pickle.stop()
        var zip = ZipWriter(file: "s.pt")
        try zip.add("m/data.pkl", pickle.bytes)
        try zip.add("m/data/s", F.encode([1, 2, 3, 4], as: .float64))
        let state = try F.with(try zip.finish()) { try PyTorchCheckpoint.read(bytes: $0, file: "s.pt") }
        #expect(state.names == ["first", "second"])
        #expect(state["first"]?.scalars == [1, 2])
        #expect(state["second"]?.scalars == [3, 4])
        #expect(state.entry(named: "second")?.dtype == .float64)
    }

    @Test("the summary counts parameters without BatchNorm buffers and encodes as JSON")
    func summary() throws {
        var state = try F.smallState()
        try state.append(name: "bn.num_batches_tracked", tensor: Tensor(scalar: 5), dtype: .int64)
        let summary = WeightSummary(state)
        #expect(summary.parameterCount == 8 + 2 + 1)
        #expect(summary.elementCount == 8 + 2 + 2 + 1 + 1)
        #expect(summary.text.hasSuffix("5 tensors, 11 parameters, 14 elements in total"))
        let json = try JSONEncoder().encode(summary)
        #expect(try JSONDecoder().decode(WeightSummary.self, from: json) == summary)
    }

    @Test("half-precision conversion covers subnormals, infinities and NaN")
    func half() {
        #expect(WeightDType.halfToFloat(0x3c00) == 1)
        #expect(WeightDType.halfToFloat(0xc000) == -2)
        #expect(WeightDType.halfToFloat(0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
        #expect(WeightDType.halfToFloat(0x7c00) == .infinity)
        #expect(WeightDType.halfToFloat(0x7e00).isNaN)
        #expect(WeightDType.halfToFloat(0x8000) == 0)
    }
}
