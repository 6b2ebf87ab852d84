import Foundation
import TuneCore
import TuneFormats
import TuneNN

/// A BERT encoder's LoRA adapters as PEFT saves them, so `PeftModel.from_pretrained(BertModel.from_pretrained(base),
/// folder)` loads what FineTune trained, and FineTune loads what PEFT trained:
/// - `adapter_config.json`: `peft_type` `LORA`, `task_type` `FEATURE_EXTRACTION` (the encoder is a `BertModel`), `r`,
///   `lora_alpha`, `lora_dropout`, `target_modules`, `bias` `none`, `fan_in_fan_out` false, `init_lora_weights` true,
///   `inference_mode` true, `base_model_name_or_path`;
/// - `adapter_model.safetensors`: float32 `base_model.model.encoder.layer.N.<module>.lora_A.weight` `[r, in]` and
///   `….lora_B.weight` `[out, r]`, where `<module>` is ``BertProjection/huggingFaceModule`` (`attention.self.query`, …).
///
/// Reading is strict: the configuration must describe plain LoRA (no rsLoRA, DoRA, bias training, per-layer ranks or
/// layers, extra modules), and the weight file must hold exactly the adapters its `target_modules` select in every
/// layer, each of its shape. Adapters on a `BertModel`'s pooler, which the encoder leaves out, are skipped; keys with
/// `bert.` after the prefix (saved from `BertFor…` models) are read as without it.
public enum LoRAAdapterFiles {
    /// The configuration's file name.
    public static let configurationFileName = "adapter_config.json"
    /// The weights' file name.
    public static let weightsFileName = "adapter_model.safetensors"
    /// What PEFT puts before a module's name in the weight file.
    static let keyPrefix = "base_model.model."

    /// Writes `encoder`'s adapters into `folder` (created when missing), each file atomically.
    /// - Parameter baseModel: what `base_model_name_or_path` says (a Hugging Face hub name such as
    ///   `sentence-transformers/all-MiniLM-L6-v2`, or a path); `nil` writes null.
    /// - Throws: ``LoRAAdapterError/noAdapters`` when the encoder has none; file errors.
    public static func write(encoder: BertEncoder, to folder: String, baseModel: String? = nil) throws {
        guard let configuration = encoder.loraConfiguration else { throw LoRAAdapterError.noAdapters }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var state = StateDictionary()
        for adapter in encoder.adapters {
            try state.append(name: key(layer: adapter.layer, projection: adapter.projection, matrix: "lora_A"), tensor: adapter.dense.loraA)
            try state.append(name: key(layer: adapter.layer, projection: adapter.projection, matrix: "lora_B"), tensor: adapter.dense.loraB)
        }
        let fields: [String: Any] = [
            "peft_type": "LORA",
            "task_type": "FEATURE_EXTRACTION",
            "base_model_name_or_path": baseModel ?? NSNull(),
            "r": configuration.rank,
            "lora_alpha": jsonNumber(configuration.alpha),
            "lora_dropout": jsonNumber(configuration.dropout),
            "target_modules": targetModules(for: configuration.targets, layerCount: encoder.layers.count),
            "bias": "none",
            "fan_in_fan_out": false,
            "inference_mode": true,
            "init_lora_weights": true,
            "use_rslora": false,
            "use_dora": false,
            "modules_to_save": NSNull(),
            "layers_to_transform": NSNull(),
            "layers_pattern": NSNull(),
            "revision": NSNull(),
        ]
        let json = try JSONSerialization.data(withJSONObject: fields, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try writeFileAtomically(Array(json) + [0x0A], to: join(folder, configurationFileName))
        try Safetensors.write(state, to: join(folder, weightsFileName), metadata: ["format": "pt"])
    }

    /// Reads the adapters in `folder` into `encoder`: applies LoRA with the folder's configuration first when the encoder
    /// has none, or checks that the encoder's is the same. Nothing changes unless every check passes.
    /// - Returns: the folder's configuration.
    /// - Throws: ``LoRAAdapterError`` naming the file and setting; ``LoadError`` (with ``LoadError/file``) naming every
    ///   missing, unexpected or mis-shaped tensor by its PEFT key.
    @discardableResult
    public static func read(folder: String, into encoder: BertEncoder) throws -> LoRAConfiguration {
        let configuration = try readConfiguration(folder: folder, layerCount: encoder.layers.count)
        let weightsPath = join(folder, weightsFileName)
        if let present = encoder.loraConfiguration, present != configuration {
            throw LoRAAdapterError.configurationMismatch(file: join(folder, configurationFileName), encoder: present,
                                                         adapter: configuration)
        }
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw LoRAAdapterError.missingFile(folder: folder, file: weightsFileName)
        }
        var expected: [String: (layer: Int, projection: BertProjection, shape: Shape)] = [:]
        for (index, layer) in encoder.layers.enumerated() {
            for projection in configuration.targets {
                let (units, inFeatures) = try features(of: layer.layer(projection), at: "layers.\(index).\(projection.path)")
                expected[key(layer: index, projection: projection, matrix: "lora_A")] = (index, projection, [configuration.rank, inFeatures])
                expected[key(layer: index, projection: projection, matrix: "lora_B")] = (index, projection, [units, configuration.rank])
            }
        }
        let file = try Safetensors.read(path: weightsPath)
        var found: [String: Tensor] = [:]
        var unexpected: [String] = []
        var mismatches: [LoadError.ShapeMismatch] = []
        for entry in file.entries {
            let name = canonicalKey(entry.name)
            if ignoredKeys.contains(name) { continue }
            guard let target = expected[name] else {
                unexpected.append(entry.name)
                continue
            }
            if entry.shape != target.shape {
                mismatches.append(.init(key: entry.name, expected: target.shape, got: entry.shape))
            }
            found[name] = entry.tensor
        }
        let missing = expected.keys.filter { found[$0] == nil }.sorted()
        if !missing.isEmpty || !unexpected.isEmpty || !mismatches.isEmpty {
            var error = LoadError(missingKeys: missing, unexpectedKeys: unexpected.sorted(), shapeMismatches: mismatches)
            error.file = weightsPath
            throw error
        }
        if encoder.loraConfiguration == nil { try encoder.applyLoRA(configuration) }
        for adapter in encoder.adapters {
            for (matrix, tensor) in [("lora_A", adapter.dense.loraA), ("lora_B", adapter.dense.loraB)] {
                let name = key(layer: adapter.layer, projection: adapter.projection, matrix: matrix)
                guard let source = found[name] else {
                    throw LoadError(missingKeys: [name])
                }
                try tensor.assign(source)
            }
        }
        return configuration
    }

    /// The LoRA configuration `folder`'s `adapter_config.json` describes for an encoder of `layerCount` layers: `r`,
    /// `lora_alpha`, `lora_dropout`, and the projections `target_modules` selects by PEFT's rule (a list entry selects
    /// a module whose name is it or ends with `.` and it; a single string is a regular expression the whole name must
    /// match, or `all-linear`).
    /// - Throws: ``LoRAAdapterError`` naming the file and the key.
    public static func readConfiguration(folder: String, layerCount: Int) throws -> LoRAConfiguration {
        let path = join(folder, configurationFileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoRAAdapterError.missingFile(folder: folder, file: configurationFileName)
        }
        guard let fields = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LoRAAdapterError.invalidConfiguration(file: path, key: "(top level)", message: "not a JSON object")
        }
        func invalid(_ key: String, _ message: String) -> LoRAAdapterError {
            .invalidConfiguration(file: path, key: key, message: message)
        }
        func isAbsent(_ key: String) -> Bool {
            switch fields[key] {
            case nil, is NSNull: return true
            case let list as [Any]: return list.isEmpty
            case let table as [String: Any]: return table.isEmpty
            default: return false
            }
        }
        func number(_ key: String) throws -> Double {
            guard let value = fields[key] as? NSNumber else {
                throw invalid(key, fields[key] == nil ? "missing" : "not a number")
            }
            return value.doubleValue
        }
        guard let type = fields["peft_type"] as? String else { throw invalid("peft_type", "missing") }
        guard type == "LORA" else {
            throw LoRAAdapterError.unsupported(file: path, key: "peft_type", value: type, reason: "only LoRA adapters are read")
        }
        for (key, reason) in [("use_rslora", "rank-stabilized scaling"), ("use_dora", "DoRA"), ("fan_in_fan_out", "transposed weights"),
                              ("lora_bias", "trained adapter biases")]
        where fields[key] as? Bool == true {
            throw LoRAAdapterError.unsupported(file: path, key: key, value: "true", reason: "\(reason) is not supported")
        }
        if let bias = fields["bias"] as? String, bias != "none" {
            throw LoRAAdapterError.unsupported(file: path, key: "bias", value: bias, reason: "only bias \"none\" is supported")
        }
        for (key, reason) in [("rank_pattern", "per-module ranks"), ("alpha_pattern", "per-module alphas"),
                              ("layers_to_transform", "adapters on some layers only"), ("exclude_modules", "excluded modules"),
                              ("modules_to_save", "extra trained modules (a classifier head is not part of the encoder)"),
                              ("target_parameters", "adapters on parameters"), ("trainable_token_indices", "trained token rows")]
        where !isAbsent(key) {
            throw LoRAAdapterError.unsupported(file: path, key: key, value: "\(fields[key] ?? "")", reason: "\(reason) is not supported")
        }
        let rank = try number("r")
        guard rank >= 1, rank == rank.rounded() else { throw invalid("r", "\(rank) is not a whole number ≥ 1") }
        let alpha = try number("lora_alpha")
        let dropout = fields["lora_dropout"] == nil ? 0 : try number("lora_dropout")
        let selected = try targets(fields["target_modules"], layerCount: layerCount, file: path)
        let configuration = LoRAConfiguration(rank: Int(rank), alpha: Float(alpha), dropout: Float(dropout), targets: selected)
        do {
            try configuration.validate()
        } catch let error as LoRAConfigurationError {
            throw invalid(error.settingKey, error.description)
        }
        return configuration
    }

    /// The PEFT key of one adapter matrix (`lora_A` or `lora_B`).
    static func key(layer: Int, projection: BertProjection, matrix: String) -> String {
        "\(keyPrefix)\(moduleName(layer: layer, projection: projection)).\(matrix).weight"
    }

    /// The projection's module name in a `BertModel`: `encoder.layer.N.attention.self.query`, ….
    static func moduleName(layer: Int, projection: BertProjection) -> String {
        "encoder.layer.\(layer).\(projection.huggingFaceModule)"
    }

    /// Adapter keys of a `BertModel`'s pooler, which the encoder does not have.
    static let ignoredKeys: Set<String> = ["\(keyPrefix)pooler.dense.lora_A.weight", "\(keyPrefix)pooler.dense.lora_B.weight"]

    /// `key` without a `bert.` after PEFT's prefix.
    static func canonicalKey(_ key: String) -> String {
        let wrapped = keyPrefix + "bert."
        return key.hasPrefix(wrapped) ? keyPrefix + key.dropFirst(wrapped.count) : key
    }

    /// The `target_modules` list PEFT reads back as exactly `targets` in a `BertModel` of `layerCount` layers, and
    /// nothing else (not the pooler): `query`, `key`, `value`, `attention.output.dense`, `intermediate.dense`, and for
    /// the feed-forward output `output.dense` when the attention output is a target too (the suffix selects both), else
    /// `layer.N.output.dense` for every layer.
    static func targetModules(for targets: [BertProjection], layerCount: Int) -> [String] {
        targets.flatMap { projection -> [String] in
            switch projection {
            case .query, .key, .value: return [projection.rawValue]
            case .attentionOutput, .intermediate: return [projection.huggingFaceModule]
            case .output:
                return targets.contains(.attentionOutput) ? ["output.dense"] : (0..<layerCount).map { "layer.\($0).output.dense" }
            }
        }
    }

    /// The projections `value` (a `target_modules` entry) selects in every layer, by PEFT's matching rule.
    static func targets(_ value: Any?, layerCount: Int, file: String) throws -> [BertProjection] {
        let matches: (String) -> Bool
        switch value {
        case let pattern as String where pattern.lowercased() == LoRAConfiguration.allLinearName:
            return BertProjection.allCases
        case let pattern as String:
            guard let expression = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else {
                throw LoRAAdapterError.invalidConfiguration(file: file, key: "target_modules",
                                                            message: "'\(pattern)' is not a regular expression FineTune can read")
            }
            matches = { name in
                expression.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
            }
        case let list as [Any]:
            let names = list.compactMap { $0 as? String }
            guard names.count == list.count else {
                throw LoRAAdapterError.invalidConfiguration(file: file, key: "target_modules", message: "not a list of strings")
            }
            matches = { name in names.contains { name == $0 || name.hasSuffix("." + $0) } }
        default:
            throw LoRAAdapterError.invalidConfiguration(file: file, key: "target_modules",
                                                        message: value == nil ? "missing" : "neither a string nor a list of strings")
        }
        var selected: [BertProjection] = []
        for projection in BertProjection.allCases {
            // A BertFor… model names the module with a `bert.` prefix; PEFT matched whichever the model had.
            let layers = (0..<layerCount).filter { layer in
                let name = moduleName(layer: layer, projection: projection)
                return matches(name) || matches("bert." + name)
            }
            if layers.count == layerCount, layerCount > 0 {
                selected.append(projection)
            } else if !layers.isEmpty {
                throw LoRAAdapterError.unsupported(
                    file: file, key: "target_modules", value: "\(value ?? "")",
                    reason: "it puts adapters on \(projection.rawValue) in layers \(layers.map(String.init).joined(separator: ", ")) "
                        + "only; FineTune puts them on every layer")
            }
        }
        guard !selected.isEmpty else {
            throw LoRAAdapterError.invalidConfiguration(file: file, key: "target_modules",
                                                        message: "'\(value ?? "")' selects none of the encoder's projections")
        }
        return selected
    }

    /// The units and input features of a projection (a ``Dense`` or a ``LoRADense``).
    static func features(of layer: Layer, at path: String) throws -> (units: Int, inFeatures: Int) {
        let weight = (layer as? LoRADense)?.base.weight ?? (layer as? Dense)?.weight
        guard let weight else {
            throw LayerError.invalidConfiguration(layer: "BertEncoder", message: "\(path) is a \(layer.kind), not a built Dense")
        }
        return (weight.shape[0], weight.shape[1])
    }

    /// `value` as JSON writes it best: a whole number without `.0`, else the shortest decimal that reads back as it.
    static func jsonNumber(_ value: Float) -> Any {
        if value == value.rounded(), abs(value) < 1e9 { return Int(value) }
        return Double("\(value)") ?? Double(value)
    }

    private static func join(_ folder: String, _ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }
}

/// Why a PEFT adapter folder cannot be written or read, naming the file and the setting.
public enum LoRAAdapterError: Error, Equatable, CustomStringConvertible {
    /// The folder lacks one of its two files.
    case missingFile(folder: String, file: String)
    /// A setting is missing or malformed.
    case invalidConfiguration(file: String, key: String, message: String)
    /// A setting asks for something FineTune's LoRA does not do.
    case unsupported(file: String, key: String, value: String, reason: String)
    /// The encoder has no adapters to write.
    case noAdapters
    /// The encoder already carries adapters of another shape.
    case configurationMismatch(file: String, encoder: LoRAConfiguration, adapter: LoRAConfiguration)

    public var description: String {
        switch self {
        case let .missingFile(folder, file):
            return "\(folder) has no \(file) (a PEFT adapter folder holds \(LoRAAdapterFiles.configurationFileName) and \(LoRAAdapterFiles.weightsFileName))"
        case let .invalidConfiguration(file, key, message):
            return "\(file): \(key): \(message)"
        case let .unsupported(file, key, value, reason):
            return "\(file): \(key) \(value): \(reason)"
        case .noAdapters:
            return "the encoder has no LoRA adapters to write (apply them with applyLoRA first)"
        case let .configurationMismatch(file, encoder, adapter):
            return "\(file) describes adapters \(adapter), but the encoder carries \(encoder)"
        }
    }
}

extension LoRAConfigurationError {
    /// The adapter_config.json key of the setting the error is about.
    var settingKey: String {
        switch self {
        case let .invalidValue(setting, _, _):
            return ["rank": "r", "alpha": "lora_alpha", "dropout": "lora_dropout", "targets": "target_modules"][setting] ?? setting
        case let .notASetting(key), let .unknownSetting(key), let .repeatedSetting(key):
            return key
        }
    }
}
