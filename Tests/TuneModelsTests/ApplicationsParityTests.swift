import Foundation
import Testing
import TestFixtures
import TuneCore
@testable import TuneFormats
@testable import TuneModels
import TuneNN

/// What `reference/applications_fixtures.py` recorded for one architecture: the structure of every weight file it
/// saved (Keras's two HDF5 layouts, torchvision's state dict), the formula weights in them, and the framework's
/// logits and pooled features on the formula inputs.
struct ApplicationsReference: Decodable {
    struct HDF5Node: Decodable {
        struct Attribute: Decodable {
            let name: String
            let shape: [Int]
            let strings: [String]?
            let numbers: [Double]?
            let variable_length: Bool?
        }
        let path: String
        let type: String
        let attributes: [Attribute]
        let shape: [Int]?
        let dtype: String?
    }

    struct KerasWeight: Decodable {
        let layer: String
        let index: Int
        let name: String
        let kind: ReferenceFormula.Kind
        let shape: [Int]
        let k: Int
        let fan_in: Int?
    }

    struct TorchWeight: Decodable {
        let key: String
        let shape: [Int]
        let dtype: String
        let kind: ReferenceFormula.Kind
        let k: Int?
        let fan_in: Int?
    }

    struct Outputs: Decodable {
        let logits: [[Float]]?
        let pooled_features: [[Float]]
    }

    struct Keras: Decodable {
        let framework: String
        let weights: [KerasWeight]
        let legacy_h5: [HDF5Node]
        let keras3_weights_h5: [HDF5Node]
        let outputs: [String: Outputs]
    }

    struct Torchvision: Decodable {
        let framework: String
        let weights: [TorchWeight]
        let outputs: [String: Outputs]
    }

    let model: String
    let batch: Int
    let sizes: [Int]
    let keras: Keras
    let torchvision: Torchvision?

    static func load(_ model: String) throws -> ApplicationsReference {
        let url = ReferenceFormula.applicationsFolder.appendingPathComponent("\(model).json")
        return try JSONDecoder().decode(ApplicationsReference.self, from: Data(contentsOf: url))
    }

    static func isPresent(_ model: String) -> Bool {
        FileManager.default.fileExists(atPath: ReferenceFormula.applicationsFolder.appendingPathComponent("\(model).json").path)
    }

    // MARK: Rebuilding the weight files

    /// Writes the Keras HDF5 file whose structure is `nodes` (groups, attributes, datasets as Keras wrote them), each
    /// weight dataset filled with its formula (`scrambled`: see ``ReferenceFormula/weights(kind:count:k:fanIn:scrambled:)``).
    /// The layers in `omitting` (a legacy file's top-level groups) are left out, with their names in the file's
    /// `layer_names`, as in Keras's `_notop` files.
    func writeKerasFile(_ nodes: [HDF5Node], to path: String, scrambled: Bool = false, omitting: Set<String> = []) throws {
        let nodes = omitting.isEmpty ? nodes : nodes.compactMap { node -> HDF5Node? in
            let top = node.path.split(separator: "/").first.map(String.init) ?? ""
            if omitting.contains(top) { return nil }
            guard node.path == "/" else { return node }
            let attributes = node.attributes.map { attribute in
                guard attribute.name == "layer_names", let names = attribute.strings else { return attribute }
                let kept = names.filter { !omitting.contains($0) }
                return HDF5Node.Attribute(name: attribute.name, shape: [kept.count], strings: kept, numbers: nil,
                                          variable_length: attribute.variable_length)
            }
            return HDF5Node(path: node.path, type: node.type, attributes: attributes, shape: node.shape, dtype: node.dtype)
        }
        let weights = Dictionary(uniqueKeysWithValues: keras.weights.map { ("\($0.layer)/\($0.index)", $0) })
        // Which weight each dataset holds: legacy files name them in their layer's `weight_names`, Keras 3 numbers them.
        var datasetWeights: [String: KerasWeight] = [:]
        for node in nodes where node.type == "group" {
            if let names = node.attributes.first(where: { $0.name == "weight_names" })?.strings {
                let layer = String(node.path.split(separator: "/").last ?? "")
                for (index, name) in names.enumerated() { datasetWeights["\(node.path)/\(name)"] = weights["\(layer)/\(index)"] }
            }
        }
        // Keras 3 names a layer's group after its class (`conv2d_1`); its `vars` group's `name` attribute is the layer.
        let varsNames = Dictionary(nodes.compactMap { node in
            node.attributes.first { $0.name == "name" }?.strings?.first.map { (node.path, $0) }
        }, uniquingKeysWith: { first, _ in first })
        for node in nodes where node.type == "dataset" {
            let components = node.path.split(separator: "/").map(String.init)
            let parent = "/" + components.dropLast().joined(separator: "/")
            if components.count >= 4, components[components.count - 2] == "vars", let index = Int(components.last ?? "") {
                let layer = varsNames[parent] ?? components[components.count - 3]
                datasetWeights[node.path] = weights["\(layer)/\(index)"]
            }
        }
        let file = try HDF5File(creatingAt: path)
        for node in nodes {
            if node.type == "group", node.path != "/" { try file.createGroup(node.path) }
            if node.type == "dataset" {
                let weight = try #require(datasetWeights[node.path], "no recorded weight for dataset \(node.path)")
                let shape = node.shape ?? []
                let values = ReferenceFormula.weights(kind: weight.kind, count: shape.reduce(1, *), k: weight.k, fanIn: weight.fan_in,
                                                      scrambled: scrambled)
                try file.writeDataset(node.path, shape: shape, values: values)
            }
            for attribute in node.attributes {
                if let strings = attribute.strings {
                    try file.setAttribute(attribute.name, of: node.path, strings: strings, scalar: attribute.shape.isEmpty,
                                          fixedLength: attribute.variable_length == false)
                } else if let numbers = attribute.numbers {
                    try file.setAttribute(attribute.name, of: node.path, numbers: numbers, scalar: attribute.shape.isEmpty)
                }
            }
        }
    }

    /// Writes torchvision's state dict (as `torch.save` would, through FineTune's zip writer) with formula weights,
    /// with keys renamed as `renaming` says (to test a damaged file) and `extra` float tensors after them (each filled
    /// with the bias formula).
    func writeTorchvisionFile(to path: String, renaming: [String: String] = [:], extra: [(key: String, shape: [Int])] = []) throws {
        let torchvision = try #require(torchvision)
        var state = StateDictionary()
        for weight in torchvision.weights {
            let count = weight.shape.reduce(1, *)
            let values = ReferenceFormula.weights(kind: weight.kind, count: count, k: weight.k ?? 0, fanIn: weight.fan_in)
            try state.append(name: renaming[weight.key] ?? weight.key, tensor: Tensor(shape: Shape(weight.shape), scalars: values),
                             dtype: weight.dtype == "torch.int64" ? .int64 : .float32)
        }
        for (index, (key, shape)) in extra.enumerated() {
            let values = ReferenceFormula.weights(kind: .bias, count: shape.reduce(1, *), k: 10_000 + index, fanIn: nil)
            try state.append(name: key, tensor: Tensor(shape: Shape(shape), scalars: values), dtype: .float32)
        }
        try PyTorchZipWriter.write(state, to: path)
    }
}

/// Runs `model` on the reference inputs at `size` and compares with `outputs`: logits within 1e-4 of their largest
/// magnitude, pooled features within 1e-4 (of the largest when above 1).
func expectMatches(_ model: any ImageBackbone, _ outputs: ApplicationsReference.Outputs, batch: Int, size: Int,
                   label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let input = try Tensor(shape: [batch, 3, size, size], scalars: ReferenceFormula.inputs(batch: batch, size: size))
    func compare(_ actual: [Float], _ expected: [Float], what: String) {
        let scale = max(expected.map(abs).max() ?? 0, 1)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(actual.count == expected.count && worst <= 1e-4 * scale,
                "\(label) \(size)²: \(what) differ by \(worst) (allowed \(1e-4 * scale))", sourceLocation: sourceLocation)
    }
    let stages = model.featureStages
    let pooled = try stages.run(input, range: 0..<stages.count, context: .inference).globalAveragePool2d()
    compare(pooled.scalars, outputs.pooled_features.flatMap { $0 }, what: "pooled features")
    if let logits = outputs.logits, model.includeTop {
        compare(try model(input).scalars, logits.flatMap { $0 }, what: "logits")
    }
}

extension Fixture {
    /// The recorded outputs of `reference/applications_fixtures.py` for `model`.
    static func applicationsReference(_ model: String) -> Fixture {
        Fixture("the reference outputs \(model).json", remedy: "they are committed under Tests/TuneModelsTests/Fixtures/applications; "
                + "regenerate them with reference/applications_fixtures.py --models \(model)") {
            ApplicationsReference.isPresent(model)
        }
    }
}

/// Builds architecture `model` of `flavour`.
func applicationsModel(_ model: String, flavour: ArchitectureFlavour, includeTop: Bool) -> any ImageBackbone {
    switch model {
    case "resnet50": return ResNet(flavour: flavour, includeTop: includeTop)
    case "mobilenetv2": return MobileNetV2(flavour: flavour, includeTop: includeTop)
    case "mobilenet": return MobileNet(includeTop: includeTop)
    case "inceptionv3": return InceptionV3(flavour: flavour, includeTop: includeTop)
    default: return VGG(flavour: flavour, includeTop: includeTop)
    }
}

@Suite("VGG16, ResNet50, MobileNet, MobileNetV2 and InceptionV3 against Keras and torchvision",
       .requires(.applicationsReference("vgg16")), .requires(.applicationsReference("resnet50")),
       .requires(.applicationsReference("mobilenet")), .requires(.applicationsReference("mobilenetv2")),
       .requires(.applicationsReference("inceptionv3")), .serialized)
struct ApplicationsParityTests {
    @Test("Keras's legacy .h5 and Keras 3 .weights.h5 load through the key map and give Keras's logits and features",
          arguments: ["vgg16", "resnet50", "mobilenet", "mobilenetv2", "inceptionv3"])
    func keras(model name: String) throws {
        let reference = try ApplicationsReference.load(name)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (layout, nodes) in [("legacy.h5", reference.keras.legacy_h5), ("keras3.weights.h5", reference.keras.keras3_weights_h5)] {
            let path = folder.appendingPathComponent(layout).path
            try reference.writeKerasFile(nodes, to: path)
            let model = applicationsModel(name, flavour: .keras, includeTop: true)
            try model.loadCheckpoint(path: path)
            let headless = applicationsModel(name, flavour: .keras, includeTop: false)
            try headless.loadCheckpoint(path: path)
            for size in reference.sizes {
                let outputs = try #require(reference.keras.outputs["\(size)"])
                // Keras's VGG16 top reads the 7×7 map of a 224² input only; the others take any size.
                let sized = outputs.logits == nil ? headless : model
                try expectMatches(sized, outputs, batch: reference.batch, size: size, label: "\(name) Keras \(layout)")
            }
            try FileManager.default.removeItem(atPath: path)
        }
    }

    @Test("the headless model's layers are the layers Keras lists for it, in Keras's order (what last-layers:N counts)",
          arguments: [("vgg16", "block5_pool"), ("resnet50", "conv5_block3_out"), ("mobilenet", "conv_pw_13_relu"),
                      ("mobilenetv2", "out_relu"), ("inceptionv3", "mixed10")])
    func kerasLayerOrder(model name: String, lastFeatureLayer: String) throws {
        let reference = try ApplicationsReference.load(name)
        let root = try #require(reference.keras.legacy_h5.first { $0.path == "/" })
        let recorded = try #require(root.attributes.first { $0.name == "layer_names" }?.strings)
        let end = try #require(recorded.firstIndex(of: lastFeatureLayer))
        let model = applicationsModel(name, flavour: .keras, includeTop: false)
        #expect(model.frameworkLayers.map(\.name) == Array(recorded[...end]))
        // Every layer with weights in the file is a framework layer holding FineTune layers with parameters.
        for layer in model.frameworkLayers where !layer.layers.isEmpty {
            #expect(reference.keras.weights.contains { $0.layer == layer.name }, "\(name): \(layer.name) has no weights in Keras's file")
        }
    }

    @Test("torchvision's state dict loads through the key map and gives torchvision's logits and features at every size",
          arguments: ["vgg16", "resnet50", "mobilenetv2", "inceptionv3"])
    func torchvision(model name: String) throws {
        let reference = try ApplicationsReference.load(name)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("\(name).pth").path
        try reference.writeTorchvisionFile(to: path)
        let model = applicationsModel(name, flavour: .torchvision, includeTop: true)
        try model.loadCheckpoint(path: path)
        let outputs = try #require(reference.torchvision?.outputs)
        for size in reference.sizes {
            try expectMatches(model, try #require(outputs["\(size)"]), batch: reference.batch, size: size, label: "\(name) torchvision")
        }
    }

    @Test("torchvision's Inception state dict with its training-only AuxLogits loads strictly; any other extra key is refused")
    func inceptionAuxiliaryClassifier() throws {
        let reference = try ApplicationsReference.load("inceptionv3")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-aux-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The AuxLogits keys of `inception_v3(aux_logits=True)` (as in the published weights), with their shapes.
        var auxiliary: [(key: String, shape: [Int])] = []
        for (conv, shape) in [("conv0", [128, 768, 1, 1]), ("conv1", [768, 128, 5, 5])] {
            let channels = shape[0]
            auxiliary += [("AuxLogits.\(conv).conv.weight", shape)]
                + ["weight", "bias", "running_mean", "running_var"].map { ("AuxLogits.\(conv).bn.\($0)", [channels]) }
        }
        auxiliary += [("AuxLogits.fc.weight", [1000, 768]), ("AuxLogits.fc.bias", [1000])]
        let path = folder.appendingPathComponent("inception_v3_aux.pth").path
        try reference.writeTorchvisionFile(to: path, extra: auxiliary)
        let model = InceptionV3(flavour: .torchvision)
        try model.loadCheckpoint(path: path)
        let outputs = try #require(reference.torchvision?.outputs["160"])
        try expectMatches(model, outputs, batch: reference.batch, size: 160, label: "inceptionv3 torchvision with AuxLogits")
        let other = folder.appendingPathComponent("inception_v3_other.pth").path
        try reference.writeTorchvisionFile(to: other, extra: auxiliary + [("AuxLogits.conv2.conv.weight", [4])])
        do {
            try InceptionV3(flavour: .torchvision).loadCheckpoint(path: other)
            Issue.record("a state dict with a key torchvision does not have loaded")
        } catch let error as LoadError {
            #expect(error.unexpectedKeys == ["AuxLogits.conv2.conv.weight"] && error.missingKeys.isEmpty, "\(error)")
        }
    }

    @Test("a Keras InceptionV3 file whose layers are numbered from 1 (conv2d_1 … conv2d_94, as Keras 2 named the download) loads by creation order")
    func inceptionNumberedFromOne() throws {
        let reference = try ApplicationsReference.load("inceptionv3")
        // Every auto-named layer one number up: `conv2d` → `conv2d_1`, `conv2d_93` → `conv2d_94`, likewise BatchNorms.
        func shifted(_ name: String) -> String {
            for base in ["conv2d", "batch_normalization", "activation"] {
                if name == base { return "\(base)_1" }
                if name.hasPrefix(base + "_"), let number = Int(name.dropFirst(base.count + 1)) { return "\(base)_\(number + 1)" }
            }
            return name
        }
        func shiftedPath(_ path: String) -> String {
            path.split(separator: "/", omittingEmptySubsequences: false).map { shifted(String($0)) }.joined(separator: "/")
        }
        let nodes = reference.keras.legacy_h5.map { node in
            ApplicationsReference.HDF5Node(
                path: shiftedPath(node.path), type: node.type,
                attributes: node.attributes.map { attribute in
                    guard ["layer_names", "weight_names"].contains(attribute.name) else { return attribute }
                    return .init(name: attribute.name, shape: attribute.shape, strings: attribute.strings?.map(shiftedPath),
                                 numbers: attribute.numbers, variable_length: attribute.variable_length)
                },
                shape: node.shape, dtype: node.dtype)
        }
        let weights = reference.keras.weights.map { weight in
            ApplicationsReference.KerasWeight(layer: shifted(weight.layer), index: weight.index, name: shiftedPath(weight.name),
                                              kind: weight.kind, shape: weight.shape, k: weight.k, fan_in: weight.fan_in)
        }
        let renumbered = ApplicationsReference(
            model: reference.model, batch: reference.batch, sizes: reference.sizes,
            keras: .init(framework: reference.keras.framework, weights: weights, legacy_h5: nodes,
                         keras3_weights_h5: reference.keras.keras3_weights_h5, outputs: reference.keras.outputs),
            torchvision: nil)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-keras2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("inception_v3_keras2.h5").path
        try renumbered.writeKerasFile(nodes, to: path)
        #expect(try KerasWeights.read(path: path).names.contains("conv2d_94/0"))
        let model = try InceptionV3(weights: .file(path))
        try expectMatches(model, try #require(reference.keras.outputs["160"]), batch: reference.batch, size: 160,
                          label: "inceptionv3 Keras numbered from 1")
    }

    @Test("a Keras file of another architecture and a state dict with a renamed key are refused naming the file and the keys")
    func mismatchedFiles() throws {
        // Keras's own tiny file into VGG16: every VGG parameter missing, every tiny weight unexpected.
        let tiny = ReferenceFormula.applicationsFolder.appendingPathComponent("keras_tiny.h5").path
        do {
            try VGG(flavour: .keras, includeTop: false).loadCheckpoint(path: tiny)
            Issue.record("a file of another architecture loaded")
        } catch let error as LoadError {
            #expect(error.file == tiny)
            #expect(error.missingKeys.first == "block1.conv1.weight" && error.unexpectedKeys.first == "conv1/0", "\(error)")
            #expect("\(error)".hasPrefix("cannot load \(tiny): 26 missing, 10 unexpected"), "\(error)")    // its `predictions` is left out as a top
        }
        // torchvision's MobileNetV2 with one key renamed.
        let reference = try ApplicationsReference.load("mobilenetv2")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-renamed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("mobilenet_v2.pth").path
        try reference.writeTorchvisionFile(to: path, renaming: ["features.3.conv.1.0.weight": "features.3.conv.1.0.kernel"])
        do {
            try MobileNetV2(flavour: .torchvision).loadCheckpoint(path: path)
            Issue.record("a state dict with a renamed key loaded")
        } catch let error as LoadError {
            #expect(error.missingKeys == ["block_2.depthwise.weight"], "\(error)")
            #expect(error.unexpectedKeys == ["features.3.conv.1.0.kernel"], "\(error)")
            #expect("\(error)".contains(path), "\(error)")
        }
        // The same file read as a Keras-flavour model: its keys are not Keras's.
        #expect(throws: LoadError.self) { try MobileNetV2(flavour: .keras).loadCheckpoint(path: path) }
    }
}
