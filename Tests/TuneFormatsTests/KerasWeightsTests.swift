import Foundation
import Testing
import TestFixtures
import TuneCore
@testable import TuneFormats

@Suite("Keras HDF5 weight files")
struct KerasWeightsTests {
    typealias F = Fixtures

    /// A legacy Keras weight file as `save_weights_to_hdf5_group` lays it out: `layer_names` on `root`, a group per
    /// layer with `weight_names`, a dataset per weight under `<layer>/<weight name>`.
    static func writeLegacy(to path: String, root: String = "/", layers: [(String, [(String, [Int], [Float])])],
                            splitLayerNames: Bool = false) throws {
        let file = try HDF5File(creatingAt: path)
        if root != "/" { try file.createGroup(root) }
        let prefix = root == "/" ? "" : root
        let names = layers.map(\.0)
        if splitLayerNames {
            try file.setAttribute("layer_names0", of: root, strings: Array(names.prefix(1)))
            try file.setAttribute("layer_names1", of: root, strings: Array(names.dropFirst()))
        } else {
            try file.setAttribute("layer_names", of: root, strings: names)
        }
        try file.setAttribute("backend", of: root, strings: ["tensorflow"], scalar: true)
        for (layer, weights) in layers {
            try file.createGroup("\(prefix)/\(layer)")
            try file.setAttribute("weight_names", of: "\(prefix)/\(layer)", strings: weights.map(\.0))
            for (name, shape, values) in weights {
                var group = "\(prefix)/\(layer)"
                for component in name.split(separator: "/").dropLast() {
                    group += "/\(component)"
                    if !file.exists(group) { try file.createGroup(group) }
                }
                try file.writeDataset("\(prefix)/\(layer)/\(name)", shape: shape, values: values)
            }
        }
    }

    static let convKernel = (0..<24).map { Float($0) / 8 - 1 }
    static let sampleLayers: [(String, [(String, [Int], [Float])])] = [
        ("input_layer", []),
        ("conv1", [("conv1/kernel:0", [1, 2, 3, 4], convKernel), ("conv1/bias:0", [4], [0.5, -0.5, 0.25, 1])]),
        ("conv1_bn", [("conv1_bn/gamma:0", [4], [1, 2, 3, 4]), ("conv1_bn/beta:0", [4], [0, 0, 1, 1]),
                      ("conv1_bn/moving_mean:0", [4], [0.1, 0.2, 0.3, 0.4]),
                      ("conv1_bn/moving_variance:0", [4], [1, 1, 2, 2])]),
        ("pool", []),
    ]

    @Test("a legacy file reads as <layer>/<index> in Keras's order, layers without weights left out")
    func legacy() throws {
        let path = F.temporaryPath(".h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.writeLegacy(to: path, layers: Self.sampleLayers)
        #expect(try WeightFile.format(path: path) == .kerasHDF5)
        #expect(try KerasWeights.layout(path: path) == .legacy)
        let state = try WeightFile.read(path: path)
        #expect(state.names == ["conv1/0", "conv1/1", "conv1_bn/0", "conv1_bn/1", "conv1_bn/2", "conv1_bn/3"])
        #expect(state["conv1/0"]?.shape == [1, 2, 3, 4])
        #expect(state["conv1/0"]?.scalars == Self.convKernel)
        #expect(state["conv1_bn/3"]?.scalars == [1, 1, 2, 2])
        #expect(state.entry(named: "conv1/0")?.dtype == .float32)
    }

    @Test("a whole-model file keeps its weights under /model_weights, and long name lists are split into name0, name1, …")
    func modelWeightsAndSplitNames() throws {
        let path = F.temporaryPath(".h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.writeLegacy(to: path, root: "/model_weights", layers: Self.sampleLayers, splitLayerNames: true)
        let state = try KerasWeights.read(path: path)
        #expect(state.count == 6)
        #expect(state["conv1/1"]?.scalars == [0.5, -0.5, 0.25, 1])
    }

    @Test("a Keras 3 .weights.h5 reads /layers/<layer>/vars/<i>, nested layers by their path")
    func keras3() throws {
        let path = F.temporaryPath(".weights.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try HDF5File(creatingAt: path)
        for group in ["/layers", "/layers/conv1", "/layers/conv1/vars", "/layers/block", "/layers/block/layers",
                      "/layers/block/layers/dense", "/layers/block/layers/dense/vars", "/layers/pool", "/layers/pool/vars",
                      "/optimizer", "/vars"] {
            try file.createGroup(group)
        }
        try file.writeDataset("/layers/conv1/vars/0", shape: [1, 2, 3, 4], values: Self.convKernel)
        try file.writeDataset("/layers/conv1/vars/1", shape: [4], values: [1, 2, 3, 4])
        try file.writeDataset("/layers/block/layers/dense/vars/0", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let state = try KerasWeights.read(path: path)
        #expect(try KerasWeights.layout(path: path) == .keras3)
        #expect(state.names == ["block/dense/0", "conv1/0", "conv1/1"])
        #expect(state["block/dense/0"]?.shape == [2, 3])
    }

    @Test("Keras's own files, both layouts, hold the script's formula weights in Keras's layouts", .requires(.kerasTinyFiles))
    func genuineKerasFiles() throws {
        let folder = ReferenceFormula.applicationsFolder
        let record = try JSONDecoder().decode(TinyRecord.self, from: Data(contentsOf: folder.appendingPathComponent("keras_tiny.json")))
        for name in ["keras_tiny.h5", "keras_tiny.weights.h5"] {
            let state = try WeightFile.read(path: folder.appendingPathComponent(name).path)
            #expect(state.count == record.weights.count, "\(name)")
            for weight in record.weights {
                let key = "\(weight.layer)/\(weight.index)"
                let tensor = try #require(state[key], "\(name): \(key) (\(weight.name)) is missing; has \(state.names)")
                #expect(tensor.shape.dimensions == weight.shape, "\(name): \(key)")
                let expected = ReferenceFormula.weights(kind: weight.kind, count: tensor.elementCount, k: weight.k, fanIn: weight.fan_in)
                let worst = zip(tensor.scalars, expected).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
                #expect(worst <= 1e-6, "\(name): \(key) differs from the formula by \(worst) (relative)")
            }
        }
        #expect(try KerasWeights.layout(path: folder.appendingPathComponent("keras_tiny.h5").path) == .legacy)
        #expect(try KerasWeights.layout(path: folder.appendingPathComponent("keras_tiny.weights.h5").path) == .keras3)
    }

    struct TinyRecord: Decodable {
        struct Weight: Decodable {
            let layer: String
            let index: Int
            let name: String
            let kind: ReferenceFormula.Kind
            let shape: [Int]
            let k: Int
            let fan_in: Int?
        }
        let weights: [Weight]
    }

    @Test("a truncated file, a file that is not HDF5 and a missing file are clear errors naming the file")
    func damagedFiles() throws {
        let path = F.temporaryPath(".h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.writeLegacy(to: path, layers: Self.sampleLayers)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        do {
            _ = try WeightFile.read(path: path)
            Issue.record("a truncated HDF5 file was read")
        } catch let error as FormatError {
            #expect("\(error)".contains(path), "\(error)")
        }
        try Data("not a weight file\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: FormatError.unknownFormat(path: path)) { try WeightFile.read(path: path) }
        #expect(throws: FormatError.fileNotFound(path: path + ".gone")) { try KerasWeights.read(path: path + ".gone") }
    }

    @Test("an HDF5 file that is not a Keras file, a listed layer without its group and a named weight without its dataset are refused by name")
    func notKeras() throws {
        let path = F.temporaryPath(".h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let file = try HDF5File(creatingAt: path)
            try file.createGroup("/data")
            try file.writeDataset("/data/x", shape: [2], values: [1, 2])
        }
        #expect(throws: FormatError.self) { try KerasWeights.read(path: path) }
        do {
            _ = try KerasWeights.read(path: path)
        } catch {
            #expect("\(error)".contains("not a Keras weight file") && "\(error)".contains(path), "\(error)")
        }

        do {
            let file = try HDF5File(creatingAt: path)
            try file.setAttribute("layer_names", of: "/", strings: ["conv1", "ghost"])
            try file.createGroup("/conv1")
            try file.setAttribute("weight_names", of: "/conv1", strings: ["conv1/kernel:0"])
            try file.createGroup("/conv1/conv1")
            try file.writeDataset("/conv1/conv1/kernel:0", shape: [1], values: [1])
        }
        expectError(path, containing: "ghost")

        do {
            let file = try HDF5File(creatingAt: path)
            try file.setAttribute("layer_names", of: "/", strings: ["conv1"])
            try file.createGroup("/conv1")
            try file.setAttribute("weight_names", of: "/conv1", strings: ["conv1/kernel:0", "conv1/bias:0"])
            try file.createGroup("/conv1/conv1")
            try file.writeDataset("/conv1/conv1/kernel:0", shape: [1], values: [1])
        }
        expectError(path, containing: "conv1/bias:0")
    }

    private func expectError(_ path: String, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try KerasWeights.read(path: path)
            Issue.record("\(path) was read", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(text) && "\(error)".contains(path), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("HDF5 attributes of text and numbers, and datasets of float64 and int64, read back through libhdf5")
    func hdf5Values() throws {
        let path = F.temporaryPath(".h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try HDF5File(creatingAt: path)
        try file.createGroup("/g")
        try file.setAttribute("names", of: "/g", strings: ["a", "longer name", ""])
        try file.setAttribute("fixed", of: "/g", strings: ["ab", "c"], fixedLength: true)
        try file.setAttribute("empty", of: "/g", numbers: [])
        try file.setAttribute("scale", of: "/g", numbers: [2.5], scalar: true)
        try file.writeDataset("/g/values", shape: [2, 2], values: [1, 2, 3, 4])
        #expect(try file.attribute("names", of: "/g") == .strings(["a", "longer name", ""]))
        #expect(try file.attribute("absent", of: "/g") == nil)
        #expect(try file.attribute("fixed", of: "/g") == .strings(["ab", "c"]))
        #expect(try file.attribute("empty", of: "/g") == .numbers([]))
        #expect(try file.attribute("scale", of: "/g") == .numbers([2.5]))
        #expect(try file.attributeNames(of: "/g") == ["empty", "fixed", "names", "scale"])
        #expect(try file.children(of: "/") == ["g"])
        #expect(try file.kind(of: "/g") == .group)
        #expect(try file.kind(of: "/g/values") == .dataset)
        #expect(try file.datasetInfo("/g/values").shape == [2, 2])
        #expect(try file.readFloats("/g/values") == [1, 2, 3, 4])
        #expect(!file.exists("/g/nothing/deeper"))
        #expect(throws: FormatError.self) { try file.readFloats("/g") }
        #expect(throws: FormatError.self) { try file.readFloats("/g/values", limit: 3) }
    }
}

extension Fixture {
    /// The genuine Keras files `reference/applications_fixtures.py` wrote (committed).
    static let kerasTinyFiles = Fixture("the genuine Keras files keras_tiny.h5 and keras_tiny.weights.h5",
                                        remedy: "they are committed under Tests/TuneModelsTests/Fixtures/applications; "
                                        + "regenerate them with reference/applications_fixtures.py --models tiny") {
        FileManager.default.fileExists(atPath: ReferenceFormula.applicationsFolder.appendingPathComponent("keras_tiny.h5").path)
    }
}
