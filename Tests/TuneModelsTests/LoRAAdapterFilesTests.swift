import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneFormats
import TuneNN
@testable import TuneModels

@Suite("PEFT adapter files")
struct LoRAAdapterFilesTests {
    /// A tiny encoder with formula adapters on `targets`, written to a fresh folder.
    static func written(_ configuration: LoRAConfiguration) throws -> (encoder: BertEncoder, folder: String) {
        let encoder = try tinyEncoder()
        try encoder.applyLoRA(configuration)
        try LoRAFormula.fill(encoder)
        let folder = try temporaryFolder("lora-adapter")
        try LoRAAdapterFiles.write(encoder: encoder, to: folder, baseModel: "tiny-bert")
        return (encoder, folder)
    }

    static func configurationFields(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("adapter_config.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Rewrites `adapter_config.json` with `change` applied.
    static func editConfiguration(_ folder: String, _ change: (inout [String: Any]) -> Void) throws {
        var fields = try configurationFields(folder)
        change(&fields)
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("adapter_config.json")))
    }

    /// Rewrites `adapter_model.safetensors` with `change` applied to its tensors.
    static func editWeights(_ folder: String, _ change: (inout [(String, Tensor)]) throws -> Void) throws {
        let path = (folder as NSString).appendingPathComponent("adapter_model.safetensors")
        var pairs = try Safetensors.read(path: path).pairs
        try change(&pairs)
        try Safetensors.write(StateDictionary(pairs), to: path)
    }

    @Test("the written files carry PEFT's settings and keys, and read back into a fresh encoder to the same outputs")
    func roundTrip() throws {
        let configuration = LoRAConfiguration(rank: 2, alpha: 16, dropout: 0.1, targets: [.query, .value])
        let (encoder, folder) = try Self.written(configuration)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fields = try Self.configurationFields(folder)
        #expect(fields["peft_type"] as? String == "LORA")
        #expect(fields["task_type"] as? String == "FEATURE_EXTRACTION")
        #expect(fields["r"] as? Int == 2)
        #expect(fields["lora_alpha"] as? Int == 16)
        #expect(fields["lora_dropout"] as? Double == 0.1)
        #expect(fields["target_modules"] as? [String] == ["query", "value"])
        #expect(fields["bias"] as? String == "none")
        #expect(fields["fan_in_fan_out"] as? Bool == false)
        #expect(fields["inference_mode"] as? Bool == true)
        #expect(fields["init_lora_weights"] as? Bool == true)
        #expect(fields["base_model_name_or_path"] as? String == "tiny-bert")
        let weights = try Safetensors.read(path: (folder as NSString).appendingPathComponent("adapter_model.safetensors"))
        #expect(weights.names.first == "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight")
        #expect(weights.names.count == 8)
        #expect(weights["base_model.model.encoder.layer.1.attention.self.value.lora_B.weight"]?.shape == [8, 2])

        let reader = try tinyEncoder()
        let tokens = try tinyTokens()
        #expect(try LoRAAdapterFiles.read(folder: folder, into: reader) == configuration)
        #expect(reader.loraConfiguration == configuration)
        #expect(reader.adapters.map(\.dense.loraA.scalars) == encoder.adapters.map(\.dense.loraA.scalars))
        #expect(try reader.hiddenStates(tokens).scalars == encoder.hiddenStates(tokens).scalars)
        #expect(reader.parameterCount(trainableOnly: true) == encoder.parameterCount(trainableOnly: true))

        // An encoder that already carries the same adapters takes the values; one with others is refused.
        let same = try tinyEncoder()
        try same.applyLoRA(configuration)
        try LoRAAdapterFiles.read(folder: folder, into: same)
        #expect(same.adapters.map(\.dense.loraB.scalars) == encoder.adapters.map(\.dense.loraB.scalars))
        let other = try tinyEncoder()
        try other.applyLoRA(LoRAConfiguration(rank: 4))
        #expect(throws: LoRAAdapterError.self) { try LoRAAdapterFiles.read(folder: folder, into: other) }
        #expect(throws: LoRAAdapterError.noAdapters) { try LoRAAdapterFiles.write(encoder: tinyEncoder(), to: folder) }
    }

    @Test("a missing, unexpected or mis-shaped tensor is named by its PEFT key with the file, and nothing is applied")
    func strictTensors() throws {
        let (_, folder) = try Self.written(LoRAConfiguration(rank: 2, targets: [.query, .value]))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = (folder as NSString).appendingPathComponent("adapter_model.safetensors")
        let dropped = "base_model.model.encoder.layer.1.attention.self.value.lora_A.weight"
        try Self.editWeights(folder) { pairs in
            pairs.removeAll { $0.0 == dropped }
            pairs.append(("base_model.model.encoder.layer.0.attention.self.key.lora_A.weight", Tensor(zeros: [2, 8])))
            let index = try #require(pairs.firstIndex { $0.0.hasSuffix("layer.0.attention.self.query.lora_B.weight") })
            pairs[index].1 = Tensor(zeros: [8, 3])
            // A pooler adapter (PEFT's all-linear on a BertModel) is skipped: the encoder has no pooler.
            pairs.append(("base_model.model.pooler.dense.lora_A.weight", Tensor(zeros: [2, 8])))
        }
        let encoder = try tinyEncoder()
        let error = #expect(throws: LoadError.self) { try LoRAAdapterFiles.read(folder: folder, into: encoder) }
        #expect(error?.file == file)
        #expect(error?.missingKeys == [dropped])
        #expect(error?.unexpectedKeys == ["base_model.model.encoder.layer.0.attention.self.key.lora_A.weight"])
        #expect(error?.shapeMismatches == [LoadError.ShapeMismatch(
            key: "base_model.model.encoder.layer.0.attention.self.query.lora_B.weight", expected: [8, 2], got: [8, 3])])
        #expect(encoder.loraConfiguration == nil && encoder.adapters.isEmpty)
    }

    @Test("settings FineTune's LoRA does not implement are refused naming the file and the key")
    func unsupportedSettings() throws {
        let (_, folder) = try Self.written(LoRAConfiguration(rank: 2))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = (folder as NSString).appendingPathComponent("adapter_config.json")
        let changes: [(String, (inout [String: Any]) -> Void)] = [
            ("peft_type", { $0["peft_type"] = "IA3" }),
            ("use_rslora", { $0["use_rslora"] = true }),
            ("use_dora", { $0["use_dora"] = true }),
            ("bias", { $0["bias"] = "all" }),
            ("modules_to_save", { $0["modules_to_save"] = ["classifier"] }),
            ("layers_to_transform", { $0["layers_to_transform"] = [0] }),
            ("rank_pattern", { $0["rank_pattern"] = ["query": 4] }),
            ("r", { $0["r"] = nil }),
            ("r", { $0["r"] = 0 }),
            ("lora_alpha", { $0["lora_alpha"] = "sixteen" }),
            ("target_modules", { $0["target_modules"] = ["pooler.dense"] }),
            ("target_modules", { $0["target_modules"] = ["layer.0.output.dense"] }),
            ("target_modules", { $0["target_modules"] = 3 }),
        ]
        for (key, change) in changes {
            let original = try Self.configurationFields(folder)
            try Self.editConfiguration(folder, change)
            let error = #expect(throws: LoRAAdapterError.self, "\(key)") { try LoRAAdapterFiles.read(folder: folder, into: tinyEncoder()) }
            switch error {
            case let .invalidConfiguration(errorFile, errorKey, _)?, let .unsupported(errorFile, errorKey, _, _)?:
                #expect(errorFile == file && errorKey == key, "\(String(describing: error))")
            default:
                Issue.record("\(key): unexpected \(String(describing: error))")
            }
            try Self.editConfiguration(folder) { $0 = original }
        }
        try FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent("adapter_model.safetensors"))
        #expect(throws: LoRAAdapterError.missingFile(folder: folder, file: "adapter_model.safetensors")) {
            try LoRAAdapterFiles.read(folder: folder, into: tinyEncoder())
        }
    }

    @Test("the target_modules FineTune writes select exactly its targets by PEFT's rule, for every set of targets")
    func targetModulesRoundTrip() throws {
        let all = BertProjection.allCases
        for mask in 1..<(1 << all.count) {
            let targets = all.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
            let modules = LoRAAdapterFiles.targetModules(for: targets, layerCount: 3)
            #expect(try LoRAAdapterFiles.targets(modules, layerCount: 3, file: "f") == targets, "\(modules)")
            // PEFT's rule on the BertModel's own module names, pooler included, selects nothing else.
            let names = (0..<3).flatMap { layer in all.map { LoRAAdapterFiles.moduleName(layer: layer, projection: $0) } } + ["pooler.dense"]
            let selected = names.filter { name in modules.contains { name == $0 || name.hasSuffix("." + $0) } }
            let expected = (0..<3).flatMap { layer in targets.map { LoRAAdapterFiles.moduleName(layer: layer, projection: $0) } }
            #expect(Set(selected) == Set(expected))
        }
    }

    @Test("target_modules as PEFT users write them: names, all-linear, its expansion, a regular expression")
    func targetModulesFromPEFT() throws {
        func read(_ value: Any) throws -> [BertProjection] { try LoRAAdapterFiles.targets(value, layerCount: 2, file: "f") }
        #expect(try read(["query", "key", "value", "dense"]) == BertProjection.allCases)
        #expect(try read("all-linear") == BertProjection.allCases)
        let expansion = (0..<2).flatMap { layer in BertProjection.allCases.map { LoRAAdapterFiles.moduleName(layer: layer, projection: $0) } }
        #expect(try read(expansion + ["pooler.dense"]) == BertProjection.allCases)
        #expect(try read(#".*\.(query|value)"#) == [.query, .value])
        #expect(try read(#"encoder\.layer\.\d+\.output\.dense"#) == [.output])
        #expect(try read(["bert.encoder.layer.0.attention.self.key", "bert.encoder.layer.1.attention.self.key"]) == [.key])
        #expect(throws: LoRAAdapterError.self) { try read(#"encoder\.layer\.0\..*"#) }
        #expect(throws: LoRAAdapterError.self) { try read("(unclosed") }
    }
}
