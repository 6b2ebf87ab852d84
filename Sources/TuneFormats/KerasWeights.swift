import TuneCore

/// Keras weight files in HDF5, read through libhdf5 (``HDF5File``), never by parsing HDF5 by hand.
///
/// Two layouts exist:
/// - **legacy** (Keras 2 `save_weights` and `model.save("….h5")`, the files `keras.applications` downloads into
///   `~/.keras/models/`, Keras 3 writing `.h5`): the root group — or `/model_weights` in a whole-model file — has a
///   `layer_names` attribute (split into `layer_names0`, `layer_names1`, … when long); each layer's group has a
///   `weight_names` attribute, and each weight is the dataset at `<layer>/<weight name>`.
/// - **Keras 3** `.weights.h5`: `/layers/<group>/vars/0`, `…/1`, … (nested layers under `…/layers/<inner>`), where
///   `<group>` is a name made from the layer's class (`conv2d_1`) and the `vars` group's `name` attribute holds the
///   layer's own name (`block1_conv2`); files without that attribute are keyed by the group's name.
///
/// Both are read into a ``StateDictionary`` keyed `<layer>/<index>`, the index being the weight's position in its layer —
/// what Keras itself loads by (a convolution: 0 kernel, 1 bias; a BatchNorm: gamma, beta, moving mean, moving
/// variance, without those it does not have). Tensors keep Keras's layouts (HWIO kernels, `[in, out]` dense
/// kernels); a model family's key map converts them. Layers without weights are left out.
public enum KerasWeights {
    /// The layout a Keras HDF5 file uses.
    public enum Layout: String, Sendable, Codable {
        case legacy = "keras-h5"
        case keras3 = "keras3-weights-h5"
    }

    /// Whether `bytes` start with the HDF5 signature (`\x89HDF\r\n\x1a\n`). HDF5 also allows it at 512, 1024, …
    /// after a user block; Keras files never have one.
    static func isHDF5(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        return bytes.count >= signature.count && zip(bytes.prefix(signature.count), signature).allSatisfy { $0 == $1 }
    }

    /// The layout of the Keras file at `path`.
    /// - Throws: ``FormatError/notKerasWeights(file:message:)`` when it is HDF5 but neither layout.
    public static func layout(path: String) throws -> Layout {
        try layout(of: HDF5File(readingAt: path)).layout
    }

    /// The weights in the Keras file at `path`, keyed `<layer>/<index>`, in file order.
    public static func read(path: String) throws -> StateDictionary {
        let file = try HDF5File(readingAt: path)
        let (layout, root) = try layout(of: file)
        switch layout {
        case .legacy: return try readLegacy(file, root: root)
        case .keras3: return try readKeras3(file)
        }
    }

    /// Where a legacy file keeps its layers: the root group (weights only) or `model_weights` (a whole-model file).
    /// Object paths inside the HDF5 file, not paths on disk.
    private static let legacyRoots = ["/", "/model_weights"]
    /// Where a Keras 3 `.weights.h5` keeps its layers (an object path inside the file).
    private static let keras3Layers = "/layers"

    private static func layout(of file: HDF5File) throws -> (layout: Layout, root: String) {
        for root in legacyRoots where file.exists(root) {
            if try file.kind(of: root) == .group, try hasLayerNames(file, group: root) {
                return (.legacy, root)
            }
        }
        if file.exists(keras3Layers), try file.kind(of: keras3Layers) == .group { return (.keras3, keras3Layers) }
        throw FormatError.notKerasWeights(file: file.path, message: "it has no `layer_names` attribute (a Keras .h5 weight "
                                          + "file) and no `/layers` group (a Keras 3 .weights.h5 file)")
    }

    // MARK: Legacy

    private static func hasLayerNames(_ file: HDF5File, group: String) throws -> Bool {
        let names = try file.attributeNames(of: group)
        return names.contains("layer_names") || names.contains("layer_names0")
    }

    /// A string-list attribute as Keras writes it: whole, or split into `name0`, `name1`, … when it would not fit in
    /// an object header.
    private static func stringList(_ file: HDF5File, _ name: String, of object: String) throws -> [String]? {
        func strings(_ attribute: String) throws -> [String]? {
            switch try file.attribute(attribute, of: object) {
            case nil: return nil
            case .strings(let values): return values
            case .numbers(let values) where values.isEmpty:
                return []    // h5py writes an empty list as an empty float64 array (a layer without weights)
            case .numbers:
                throw FormatError.notKerasWeights(file: file.path, message: "attribute \(attribute) of \(object) holds numbers, not names")
            }
        }
        if let whole = try strings(name) { return whole }
        var parts: [String] = []
        var index = 0
        while let part = try strings("\(name)\(index)") {
            parts += part
            index += 1
        }
        return index == 0 ? nil : parts
    }

    private static func layerNames(_ file: HDF5File, group: String) throws -> [String] {
        try stringList(file, "layer_names", of: group) ?? []
    }

    private static func readLegacy(_ file: HDF5File, root: String) throws -> StateDictionary {
        let prefix = root == "/" ? "" : root
        var state = StateDictionary()
        var seen = Set<String>()
        for layer in try layerNames(file, group: root) {
            guard seen.insert(layer).inserted else {
                throw FormatError.notKerasWeights(file: file.path, message: "layer \(layer) is listed twice in layer_names")
            }
            let group = "\(prefix)/\(layer)"
            guard file.exists(group) else {
                throw FormatError.notKerasWeights(file: file.path, message: "layer \(layer) is listed in layer_names but "
                                                  + "the file has no group \(group)")
            }
            guard let weightNames = try stringList(file, "weight_names", of: group) else {
                throw FormatError.notKerasWeights(file: file.path, message: "layer group \(group) has no weight_names attribute")
            }
            for (index, weight) in weightNames.enumerated() {
                let dataset = "\(group)/\(weight)"
                guard file.exists(dataset) else {
                    throw FormatError.notKerasWeights(file: file.path, message: "layer \(layer) names weight \(weight) in "
                                                      + "weight_names but the file has no dataset \(dataset)")
                }
                let (tensor, dtype) = try entry(file, dataset)
                try state.append(name: "\(layer)/\(index)", tensor: tensor, dtype: dtype, file: file.path, sourceName: weight)
            }
        }
        return state
    }

    // MARK: Keras 3

    private static func readKeras3(_ file: HDF5File) throws -> StateDictionary {
        var state = StateDictionary()
        try collectKeras3(file, group: keras3Layers, layerPath: [], into: &state)
        return state
    }

    /// Walks `/layers/<group>` groups: each layer's `vars/<i>` datasets, keyed by the layer's name, then its nested
    /// `layers/<group>` groups.
    private static func collectKeras3(_ file: HDF5File, group: String, layerPath: [String], into state: inout StateDictionary) throws {
        for child in try file.children(of: group) {
            let layerGroup = "\(group)/\(child)"
            guard try file.kind(of: layerGroup) == .group else { continue }
            let vars = "\(layerGroup)/vars"
            var layer = child
            if file.exists(vars), let name = try stringList(file, "name", of: vars)?.first, !name.isEmpty { layer = name }
            let path = layerPath + [layer]
            if file.exists(vars) {
                let names = try file.children(of: vars)
                let indices = names.compactMap { Int($0) }.sorted()
                guard indices.count == names.count, indices == Array(0..<indices.count) else {
                    throw FormatError.notKerasWeights(file: file.path, message: "\(vars) holds \(names.sorted()), "
                                                      + "not datasets numbered 0, 1, …")
                }
                for index in indices {
                    let dataset = "\(vars)/\(index)"
                    let (tensor, dtype) = try entry(file, dataset)
                    try state.append(name: path.joined(separator: "/") + "/\(index)", tensor: tensor, dtype: dtype, file: file.path)
                }
            }
            let nested = "\(layerGroup)/layers"
            if file.exists(nested) { try collectKeras3(file, group: nested, layerPath: path, into: &state) }
        }
    }

    // MARK: Tensors

    /// Dataset `dataset` as a tensor, with the element type the file stored.
    private static func entry(_ file: HDF5File, _ dataset: String) throws -> (tensor: Tensor, dtype: WeightDType) {
        let (shape, type, values) = try file.readNumeric(dataset)
        do {
            return (try Tensor(shape: Shape(shape), scalars: values), try dtype(type, file: file, dataset: dataset))
        } catch let error as FormatError {
            throw error
        } catch {
            throw FormatError.invalidTensor(file: file.path, key: dataset, message: "\(error)")
        }
    }

    private static func dtype(_ type: HDF5File.ElementType, file: HDF5File, dataset: String) throws -> WeightDType {
        switch type {
        case .float(bytes: 4): return .float32
        case .float(bytes: 8): return .float64
        case .float(bytes: 2): return .float16
        case .integer(bytes: 8, signed: true): return .int64
        case .integer(bytes: 4, signed: true): return .int32
        case .integer(bytes: 2, signed: true): return .int16
        case .integer(bytes: 1, signed: true): return .int8
        case .integer(bytes: 1, signed: false): return .uint8
        case let type:
            throw FormatError.unsupportedDType(file: file.path, key: dataset, dtype: "HDF5 \(type)")
        }
    }
}
