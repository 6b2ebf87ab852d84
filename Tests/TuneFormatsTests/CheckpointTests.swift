import Foundation
import Testing
import TestFixtures
import TuneCore
@testable import TuneFormats

@Suite("PyTorch checkpoints")
struct CheckpointTests {
    typealias F = Fixtures

    func readLegacy(_ bytes: [UInt8]) throws -> StateDictionary {
        try F.with(bytes) { try PyTorchCheckpoint.read(bytes: $0, file: "test.pth") }
    }

    @Test("a generated legacy checkpoint reads back in order with dtypes converted")
    func legacy() throws {
        let bytes = F.legacyCheckpoint([
            .init(name: "a.weight", storage: [1, 2, 3, 4, 5, 6], shape: [2, 3]),
            .init(name: "a.bias", dtype: .float64, storage: [0.5, -1.5], shape: [2]),
            .init(name: "h", dtype: .float16, storage: [1.5, -2, 0.000061035156], shape: [3]),
            .init(name: "b", dtype: .bfloat16, storage: [3, -0.5], shape: [2]),
            .init(name: "bn.num_batches_tracked", dtype: .int64, storage: [7], shape: []),
        ])
        let state = try readLegacy(bytes)
        #expect(state.names == ["a.weight", "a.bias", "h", "b", "bn.num_batches_tracked"])
        #expect(state["a.weight"]?.shape == [2, 3])
        #expect(state["a.weight"]?.scalars == [1, 2, 3, 4, 5, 6])
        #expect(state["a.bias"]?.scalars == [0.5, -1.5])
        #expect(state["h"]?.scalars == [1.5, -2, 0.000061035156])
        #expect(state["b"]?.scalars == [3, -0.5])
        #expect(state["bn.num_batches_tracked"]?.scalars == [7])
        #expect(state.entry(named: "bn.num_batches_tracked")?.dtype == .int64)
        #expect(state.entry(named: "a.bias")?.dtype == .float64)
        let summary = WeightSummary(state)
        #expect(summary.parameterCount == 6 + 2 + 3 + 2)
        #expect(summary.text.contains("bn.num_batches_tracked"))
    }

    @Test("storage offsets and non-contiguous strides are made contiguous")
    func strided() throws {
        let bytes = F.legacyCheckpoint([
            .init(name: "slice", storage: [9, 9, 1, 2, 3, 4], shape: [2, 2], offset: 2),
            .init(name: "transposed", storage: [1, 2, 3, 4, 5, 6], shape: [3, 2], stride: [1, 3]),
        ])
        let state = try readLegacy(bytes)
        #expect(state["slice"]?.scalars == [1, 2, 3, 4])
        #expect(state["transposed"]?.scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test("a big-endian legacy checkpoint is refused")
    func bigEndian() throws {
        let bytes = F.legacyCheckpoint([.init(name: "x", storage: [1], shape: [1])], littleEndian: false)
        #expect(throws: FormatError.self) { try readLegacy(bytes) }
    }

    @Test("the zip writer's output reads back equal, through files and format sniffing")
    func zipRoundTrip() throws {
        let state = try F.smallState()
        let path = F.temporaryPath(".pt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PyTorchZipWriter.write(state, to: path)
        #expect(try WeightFile.format(path: path) == .pytorchZip)
        let back = try WeightFile.read(path: path)
        #expect(F.equal(state, back))
        #expect(F.equal(state, try PyTorchCheckpoint.read(path: path)))
    }

    @Test("the zip layout matches PyTorch: entries, 64-byte aligned data, version and byteorder")
    func zipLayout() throws {
        let bytes = try PyTorchZipWriter.encode(try F.smallState(), file: "w.pt")
        try F.with(bytes) { buffer in
            let archive = try ZipArchive(buffer, file: "w.pt")
            #expect(archive.entries.map(\.name) == ["archive/data.pkl", "archive/byteorder", "archive/data/0",
                                                    "archive/data/1", "archive/data/2", "archive/data/3", "archive/version"])
            for entry in archive.entries where entry.name.hasPrefix("archive/data/") {
                #expect(entry.dataOffset % 64 == 0)
            }
            let version = try #require(archive.entry(named: "archive/version"))
            #expect(try archive.withContents(of: version) { Array($0) } == Array("3\n".utf8))
        }
    }

    /// The cases `torch.load(weights_only=True)` (and `mmap=True`) of torch 2.15 accepted bit-exactly from this writer:
    /// rank 0, 1, 4 and a zero-sized dimension, empty and non-ASCII names, NaN/±inf/−0/subnormal values. Pins the
    /// layout torch reads, so a change to it shows up without torch installed.
    @Test("edge-case tensors keep torch's zip layout: FB/Z padding on every entry, exact storage sizes, bit-exact values")
    func zipEdgeCasesLayout() throws {
        let special: [Float] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-38, -1]
        let state = try StateDictionary([
            ("scalar", Tensor(shape: [], scalars: [3.25])),
            ("vector", Tensor(shape: [7], scalars: (0..<7).map { Float($0) * 0.5 - 1 })),
            ("conv.weight", Tensor(shape: [4, 3, 3, 3], scalars: (0..<108).map { Float(sin(Double($0) * 0.37)) })),
            ("_blocks.0._bn0.running_mean", Tensor(shape: [16], scalars: (0..<16).map { Float($0) / 7 })),
            ("special", Tensor(shape: [8], scalars: special)),
            ("empty", Tensor(shape: [2, 0, 3], scalars: [])),
            ("ünïcode.名前", Tensor(shape: [2, 2], scalars: [0, 1, 2, 3])),
            ("", Tensor(shape: [3], scalars: [10, 11, 12])),
        ])
        let bytes = try PyTorchZipWriter.encode(state, file: "edge.pt")
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        try F.with(bytes) { buffer in
            let archive = try ZipArchive(buffer, file: "edge.pt")
            #expect(archive.entries.map(\.name) == ["archive/data.pkl", "archive/byteorder"]
                + (0..<state.count).map { "archive/data/\($0)" } + ["archive/version"])
            for entry in archive.entries {
                let header = entry.localHeaderOffset
                #expect(u32(header) == 0x0403_4b50)
                #expect(u16(header + 4) == 20 && u16(header + 6) == 0 && u16(header + 8) == 0) // version, flags, stored
                #expect(u32(header + 18) == entry.compressedSize && u32(header + 22) == entry.uncompressedSize)
                let nameLength = u16(header + 26), extraLength = u16(header + 28)
                #expect(Array(bytes[(header + 30)..<(header + 30 + nameLength)]) == Array(entry.name.utf8))
                // One extra field, "FB", whose payload is "Z" padding up to the 64-byte boundary (every entry, as
                // PyTorch's writer does; torch's mmap loading relies on the alignment).
                let extra = header + 30 + nameLength
                #expect(extraLength >= 4 && bytes[extra] == 0x46 && bytes[extra + 1] == 0x42)
                #expect(u16(extra + 2) == extraLength - 4)
                #expect(bytes[(extra + 4)..<(extra + extraLength)].allSatisfy { $0 == 0x5a })
                #expect(entry.dataOffset == extra + extraLength)
                #expect(entry.dataOffset % 64 == 0)
            }
            for (index, item) in state.entries.enumerated() {
                let entry = try #require(archive.entry(named: "archive/data/\(index)"))
                #expect(entry.uncompressedSize == 4 * item.tensor.elementCount)
            }
        }
        let back = try F.with(bytes) { try PyTorchCheckpoint.read(bytes: $0, file: "edge.pt") }
        #expect(back.names == state.names)
        for (a, b) in zip(state.entries, back.entries) {
            #expect(a.shape == b.shape)
            #expect(a.tensor.scalars.map(\.bitPattern) == b.tensor.scalars.map(\.bitPattern))
            #expect(b.dtype == .float32)
        }
    }

    @Test("deflated zip entries are inflated", .requires(.python3))
    func deflated() throws {
        // Python's zipfile with ZIP_DEFLATED rewrites the archive compressed.
        let source = F.temporaryPath(".pt")
        let target = F.temporaryPath(".pt")
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: target)
        }
        let state = try F.smallState()
        try PyTorchZipWriter.write(state, to: source)
        let script = """
        import zipfile, sys
        with zipfile.ZipFile(sys.argv[1]) as a, zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as b:
            for i in a.infolist(): b.writestr(i.filename, a.read(i.filename))
        """
        #expect(Self.python(["-c", script, source, target]))
        #expect(F.equal(state, try PyTorchCheckpoint.read(path: target)))
    }

    @Test("Python's zipfile and pickletools accept the written archive", .requires(.python3))
    func pythonAccepts() throws {
        let path = F.temporaryPath(".pt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PyTorchZipWriter.write(try F.smallState(), to: path)
        let script = """
        import zipfile, pickletools, sys, io
        with zipfile.ZipFile(sys.argv[1]) as z:
            assert z.testzip() is None
            out = io.StringIO()
            pickletools.dis(z.read('archive/data.pkl'), out=out)
            text = out.getvalue()
            assert 'torch._utils _rebuild_tensor_v2' in text and 'BINPERSID' in text, text
            assert z.read('archive/byteorder') == b'little'
            for i in z.infolist():
                assert i.compress_type == zipfile.ZIP_STORED
            # Unpickle as torch.load does, with stand-ins for the allowlisted torch globals.
            import pickle, struct, collections
            class FloatStorage: pass
            def rebuild(storage, offset, size, stride, requires_grad, hooks):
                return (storage[offset:], tuple(size), tuple(stride))
            class U(pickle.Unpickler):
                def find_class(self, module, name):
                    table = {('collections', 'OrderedDict'): collections.OrderedDict,
                             ('torch._utils', '_rebuild_tensor_v2'): rebuild, ('torch', 'FloatStorage'): FloatStorage}
                    return table[(module, name)]
                def persistent_load(self, pid):
                    kind, cls, key, location, numel = pid
                    assert kind == 'storage' and cls is FloatStorage and location == 'cpu'
                    data = z.read('archive/data/' + key)
                    assert len(data) == 4 * numel
                    return list(struct.unpack('<%df' % numel, data))
            state = U(io.BytesIO(z.read('archive/data.pkl'))).load()
            assert list(state) == ['conv.weight', 'conv.bias', 'bn.running_mean', 'scalar'], list(state)
            assert state['conv.weight'] == ([x * 0.5 - 1 for x in range(8)], (2, 1, 2, 2), (4, 4, 2, 1)), state['conv.weight']
            assert state['scalar'] == ([42.0], (), ())
        """
        #expect(Self.python(["-c", script, path]))
    }

    @Test("legacy checkpoints pickled by Python at protocols 2–5 (frames, MEMOIZE, STACK_GLOBAL) read back",
          .requires(.python3), arguments: [2, 3, 4, 5])
    func pythonLegacy(protocolVersion: Int) throws {
        let path = F.temporaryPath(".pth")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Stand-ins with the names torch uses, so the pickles are byte-for-byte what torch.save would emit.
        let script = """
        import pickle, struct, sys, types, collections
        torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
        sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils
        def _rebuild_tensor_v2(*args): pass
        _rebuild_tensor_v2.__module__ = 'torch._utils'; _rebuild_tensor_v2.__qualname__ = '_rebuild_tensor_v2'
        utils._rebuild_tensor_v2 = _rebuild_tensor_v2
        class FloatStorage: pass
        FloatStorage.__module__ = 'torch'; torch.FloatStorage = FloatStorage
        class Storage:
            def __init__(self, key, values): self.key, self.values = key, values
        class T:
            def __init__(self, *args): self.args = args
            def __reduce__(self): return (_rebuild_tensor_v2, self.args + (False, collections.OrderedDict()))
        class P(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, Storage): return ('storage', FloatStorage, obj.key, 'cpu', len(obj.values), None)
                return None
        proto = int(sys.argv[2])
        with open(sys.argv[1], 'wb') as f:
            pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=proto)
            pickle.dump(1001, f, protocol=proto)
            pickle.dump(dict(protocol_version=1001, little_endian=True, type_sizes=dict(short=2, int=4, long=4)), f, protocol=proto)
            s0 = Storage('0', [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
            state = collections.OrderedDict([('a', T(s0, 0, (2, 2), (2, 1))), ('b', T(s0, 4, (2,), (1,))), ('epoch', 3)])
            P(f, protocol=proto).dump(state)
            pickle.dump(['0'], f, protocol=proto)
            f.write(struct.pack('<q', 6)); f.write(struct.pack('<6f', *s0.values))
        """
        #expect(Self.python(["-c", script, path, String(protocolVersion)]))
        let state = try WeightFile.read(path: path)
        #expect(state.names == ["a", "b"])
        #expect(state["a"]?.scalars == [1, 2, 3, 4])
        #expect(state["b"]?.scalars == [5, 6])
    }

    /// Runs `python3` from the PATH; false when it fails or is absent.
    static func python(_ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }

    @Test("the real EfficientNet-Lite0 checkpoint reads completely",
          .requires(.lite0Checkpoint))
    func realCheckpoint() throws {
        let path = try #require(RealCheckpoint.path)
        let state = try WeightFile.read(path: path)
        #expect(state.count == 296)
        #expect(state["_conv_stem.weight"]?.shape == [32, 3, 3, 3])
        #expect(WeightSummary(state).parameterCount == 4_652_008)
        #expect(state.entries.allSatisfy { $0.tensor.isFinite })
        // It survives a round trip through both writers.
        let zipPath = F.temporaryPath(".pt")
        let safePath = F.temporaryPath(".safetensors")
        defer {
            try? FileManager.default.removeItem(atPath: zipPath)
            try? FileManager.default.removeItem(atPath: safePath)
        }
        try PyTorchZipWriter.write(state, to: zipPath)
        #expect(F.equal(state, try WeightFile.read(path: zipPath)))
        try Safetensors.write(state, to: safePath)
        #expect(F.equal(state, try WeightFile.read(path: safePath)))
    }

    @Test("truncations and byte flips of the real checkpoint fail cleanly",
          .requires(.lite0Checkpoint))
    func realCheckpointDamaged() throws {
        let path = try #require(RealCheckpoint.path)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var generator = FuzzTests.Generator(state: 7)
        for round in 0..<40 {
            let cut = Int(generator.next() % UInt64(original.count))
            FuzzTests.probe(Array(original[..<cut]), "real prefix \(cut)")
            // Flips in the first 64 KiB, where the pickles are.
            var copy = original
            let at = Int(generator.next() % UInt64(min(65536, copy.count)))
            copy[at] = UInt8(truncatingIfNeeded: generator.next())
            if round < 10 { FuzzTests.probe(copy, "real flip at \(at)") }
        }
    }
}

extension Fixture {
    /// See ``RealCheckpoint``.
    static let lite0Checkpoint = Fixture("the EfficientNet-Lite0 ImageNet checkpoint",
                                         remedy: "run `finetune models fetch efficientnet-lite0` (scripts/test.sh does) or set FINETUNE_TEST_PTH") {
        RealCheckpoint.path != nil
    }

    /// `python3` on the PATH, which writes and checks archives the way Python and PyTorch do.
    static let python3 = Fixture("python3", remedy: "install python3: `apt-get install python3`") {
        CheckpointTests.python(["-c", "pass"])
    }
}

/// The EfficientNet-Lite0 checkpoint: `FINETUNE_TEST_PTH`, else where `finetune models fetch` installs it
/// (`$FINETUNE_HOME/weights`, default `~/.cache/finetune/weights`).
enum RealCheckpoint {
    static var path: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FINETUNE_TEST_PTH"], !path.isEmpty { return path }
        let home = environment["FINETUNE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache/finetune").path
        let path = URL(fileURLWithPath: home).appendingPathComponent("weights/efficientnet-lite0-57934424.pth").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
