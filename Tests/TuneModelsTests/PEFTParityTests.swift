import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneFormats
import TuneNN
@testable import TuneModels

/// PEFT's outputs for the committed adapters, written by `reference/peft_fixtures.py`.
struct PEFTReference: Decodable {
    struct Adapter: Decodable {
        let adapter_tensors: Int
        let peft_last_hidden_state: [Double]
        let merged_export_last_hidden_state: [Double]
        let peft_vs_merged_export: Double
        let merge_weight_difference: Double
        let adapter_effect: Double
    }
    struct TrainingStep: Decodable {
        let adapter: String
        let loss: Double
        let gradients: [String: [Double]]
    }
    let texts: [String]
    let shape: [Int]
    let input_ids: [Int32]
    let attention_mask: [Int32]
    let token_type_ids: [Int32]
    let hidden_size: Int
    let adapters: [String: Adapter]
    let training_step: TrainingStep

    static var folder: String { fixturesDirectory.appendingPathComponent("lora").path }

    static func load() throws -> PEFTReference {
        try JSONDecoder().decode(PEFTReference.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/peft_outputs.json")))
    }

    var tokens: TokenIDs {
        get throws {
            try TokenIDs(ids: input_ids, attentionMask: attention_mask, tokenTypes: token_type_ids, batchSize: shape[0], length: shape[1])
        }
    }

    /// Whether flat index `index` of a `[batch, length, width]` state belongs to a real (unpadded) token.
    func isToken(_ index: Int) -> Bool { attention_mask[index / hidden_size] == 1 }

    /// The committed adapters and the settings FineTune wrote them with (formula values, ``LoRAFormula``).
    static let fixtures: [(name: String, configuration: LoRAConfiguration)] = [
        ("query-value", LoRAConfiguration(rank: 8, alpha: 16, dropout: 0.1, targets: [.query, .value])),
        ("all-linear", LoRAConfiguration(rank: 2, alpha: 3, dropout: 0.05, targets: BertProjection.allCases)),
    ]

    /// What `base_model_name_or_path` says in the committed adapters.
    static let baseModelName = "sentence-transformers/all-MiniLM-L6-v2"
}

@Suite("PEFT parity")
struct PEFTParityTests {
    @Test("the committed adapters are byte for byte what FineTune writes for the formula values")
    func writerIsStable() throws {
        for (name, configuration) in PEFTReference.fixtures {
            let folder = try temporaryFolder("peft-writer")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let adapted = BertEncoder(configuration: .miniLML6)
            try adapted.applyLoRA(configuration)
            try LoRAFormula.fill(adapted)
            try LoRAAdapterFiles.write(encoder: adapted, to: folder, baseModel: PEFTReference.baseModelName)
            for file in [LoRAAdapterFiles.configurationFileName, LoRAAdapterFiles.weightsFileName] {
                let written = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
                let committed = try Data(contentsOf: URL(fileURLWithPath: PEFTReference.folder + "/\(name)/" + file))
                #expect(written == committed, "\(name)/\(file) differs from what FineTune writes now")
            }
            #expect(try LoRAAdapterFiles.readConfiguration(folder: folder, layerCount: 6) == configuration)
        }
    }

    @Test("FineTune's LoRA forward on PEFT-loaded adapters matches PEFT (float64) within 1e-4 on MiniLM-L6",
          .requires(.miniLMFolder))
    func forwardMatchesPEFT() throws {
        let reference = try PEFTReference.load()
        let tokens = try reference.tokens
        for (name, configuration) in PEFTReference.fixtures {
            let expected = try #require(reference.adapters[name])
            let encoder = try BertEncoder(pretrained: .miniLML6)
            let read = try LoRAAdapterFiles.read(folder: PEFTReference.folder + "/" + name, into: encoder)
            #expect(read == configuration)
            #expect(encoder.adapterPaths.count == expected.adapter_tensors)
            let states = try encoder.hiddenStates(tokens).scalars
            let peft = largestDifference(states, expected.peft_last_hidden_state, where: reference.isToken)
            let transformers = largestDifference(states, expected.merged_export_last_hidden_state, where: reference.isToken)
            print("LoRA \(name) on MiniLM-L6: FineTune vs PEFT within \(peft), vs transformers on FineTune's merged export "
                  + "within \(transformers) (the adapter moves states by up to \(expected.adapter_effect); PEFT vs the merged "
                  + "export \(expected.peft_vs_merged_export); PEFT's merge_and_unload vs FineTune's merged weights "
                  + "\(expected.merge_weight_difference))")
            #expect(peft < 1e-4)
            #expect(transformers < 1e-4)
            #expect(expected.adapter_effect > 0.05, "the fixture's adapter should change the states visibly")
            #expect(expected.merge_weight_difference < 1e-6)
        }
    }

    @Test("the merged export, written by FineTune and reloaded, matches PEFT within 1e-4", .requires(.miniLMFolder))
    func mergedExportMatchesPEFT() throws {
        let reference = try PEFTReference.load()
        let tokens = try reference.tokens
        for (name, _) in PEFTReference.fixtures {
            let expected = try #require(reference.adapters[name])
            let encoder = try BertEncoder(pretrained: .miniLML6)
            try LoRAAdapterFiles.read(folder: PEFTReference.folder + "/" + name, into: encoder)
            let folder = try temporaryFolder("peft-merged")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try encoder.writeHuggingFaceModel(to: folder)
            let reloaded = BertEncoder(configuration: try BertConfiguration.read(path: folder + "/config.json"))
            try reloaded.loadCheckpoint(path: folder + "/model.safetensors")
            let states = try reloaded.hiddenStates(tokens).scalars
            let peft = largestDifference(states, expected.peft_last_hidden_state, where: reference.isToken)
            print("LoRA \(name): FineTune's merged export reloaded vs PEFT within \(peft)")
            #expect(peft < 1e-4)
            // Merging in place gives the same encoder.
            try encoder.mergeLoRA()
            let merged = try encoder.hiddenStates(tokens).scalars
            #expect(largestDifference(merged, states.map(Double.init), where: reference.isToken) < 1e-5)
        }
    }

    @Test("one training step's adapter gradients match PEFT's in float64", .requires(.miniLMFolder))
    func trainingStepGradients() throws {
        let reference = try PEFTReference.load()
        let step = reference.training_step
        let tokens = try reference.tokens
        let encoder = try BertEncoder(pretrained: .miniLML6)
        try LoRAAdapterFiles.read(folder: PEFTReference.folder + "/" + step.adapter, into: encoder)
        let states = try encoder.hiddenStates(tokens)
        let width = reference.hidden_size
        let weights = (0..<states.elementCount).map { index -> Float in
            reference.isToken(index) ? Float(sin(0.01 * Double(index) + 0.5)) : 0
        }
        let loss = try (states * Tensor(shape: states.shape, scalars: weights)).sum()
        try loss.backward()
        let lossValue = Double(try loss.scalar())
        let lossGap = abs(lossValue - step.loss) / max(1, abs(step.loss))
        #expect(lossGap < 1e-5, "loss \(lossValue) vs PEFT's \(step.loss)")
        var report: [String] = []
        for (key, expected) in step.gradients.sorted(by: { $0.key < $1.key }) {
            let adapter = try #require(encoder.adapters.first { adapter in
                key.contains("layer.\(adapter.layer).\(adapter.projection.huggingFaceModule).")
            })
            let tensor = key.contains("lora_A") ? adapter.dense.loraA : adapter.dense.loraB
            let gradient = try #require(tensor.gradient).scalars
            let scale = expected.map(abs).max() ?? 0
            let gap = largestDifference(gradient, expected)
            report.append("\(adapter.path).\(key.contains("lora_A") ? "lora_A" : "lora_B"): \(gap) of \(scale)")
            #expect(gap <= 1e-4 * max(scale, 1e-6), "\(key): gradients differ by \(gap), largest \(scale)")
        }
        #expect(encoder.layers[0].attention.key is Dense)
        #expect(encoder.namedParameters().filter { !$0.path.contains(".lora_") }.allSatisfy { $0.tensor.gradient == nil })
        print("LoRA training step vs PEFT float64 (width \(width)): loss \(lossValue) vs \(step.loss); gradients "
              + report.joined(separator: "; "))
    }

    /// Writes what `reference/peft_fixtures.py` reads (into `FINETUNE_LORA_FIXTURES_OUT` when set, else a temporary
    /// folder) and checks that the adapter files are byte for byte the committed ones PEFT was run on.
    @Test("the adapter files written today are byte for byte the committed ones PEFT loaded", .requires(.miniLMFolder))
    func writeFixtures() throws {
        let given = ProcessInfo.processInfo.environment["FINETUNE_LORA_FIXTURES_OUT"]
        let root = given ?? FileManager.default.temporaryDirectory.appendingPathComponent("lora-fixtures-\(UUID().uuidString)").path
        defer { if given == nil { try? FileManager.default.removeItem(atPath: root) } }
        for (name, configuration) in PEFTReference.fixtures {
            let encoder = try BertEncoder(pretrained: .miniLML6)
            try encoder.applyLoRA(configuration)
            try LoRAFormula.fill(encoder)
            try LoRAAdapterFiles.write(encoder: encoder, to: root + "/" + name, baseModel: PEFTReference.baseModelName)
            for file in ["adapter_config.json", "adapter_model.safetensors"] {
                let written = FileManager.default.contents(atPath: root + "/" + name + "/" + file)
                let committed = FileManager.default.contents(atPath: PEFTReference.folder + "/" + name + "/" + file)
                #expect(written != nil && written == committed, "\(name)/\(file) differs from the committed fixture")
            }
            if given != nil {
                try encoder.writeHuggingFaceModel(to: root + "/" + name + "-merged")
                print("wrote \(root)/\(name) and \(root)/\(name)-merged")
            }
        }
    }
}
