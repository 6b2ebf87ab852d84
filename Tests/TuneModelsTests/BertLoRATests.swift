import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneFormats
import TuneNN
@testable import TuneModels

@Suite("BERT encoder with LoRA")
struct BertLoRATests {
    /// The encoder's weights as a Hugging Face `BertModel` file in a temporary folder.
    static func checkpoint(of encoder: BertEncoder, in folder: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent("model.safetensors")
        try Safetensors.write(try encoder.mergedHuggingFaceState(), to: path)
        return path
    }

    @Test("applying LoRA keeps every base path, adds lora_A and lora_B at each target, and leaves only the adapters trainable")
    func applying() throws {
        let encoder = try tinyEncoder()
        let tokens = try tinyTokens()
        let before = try encoder.hiddenStates(tokens).scalars
        let paths = encoder.namedParameters().map(\.path)
        let count = encoder.parameterCount()
        let configuration = try LoRAConfiguration(parsing: "rank=2,alpha=4,targets=query,value,output")
        try encoder.applyLoRA(configuration)
        #expect(encoder.loraConfiguration == configuration)
        #expect(encoder.adapters.map(\.path) == ["layers.0.attention.query", "layers.0.attention.value", "layers.0.output",
                                                 "layers.1.attention.query", "layers.1.attention.value", "layers.1.output"])
        let after = encoder.namedParameters().map(\.path)
        #expect(after.filter { !$0.contains(".lora_") } == paths)
        #expect(Set(after).subtracting(paths) == Set(encoder.adapterPaths))
        #expect(encoder.adapterPaths.first == "layers.0.attention.query.lora_A")
        // Every base weight still has its Hugging Face key.
        #expect(paths.allSatisfy { encoder.keyMap.huggingFaceKey(for: $0) != nil })
        let adapterSize = 2 * (2 * 8 + 8 * 2) + (2 * 16 + 8 * 2)
        #expect(encoder.parameterCount() == count + 2 * adapterSize)
        #expect(encoder.parameterCount(trainableOnly: true) == 2 * adapterSize)
        let trainable = encoder.trainableParameters()
        let adapters = encoder.adapters.flatMap { [$0.dense.loraA, $0.dense.loraB] }
        #expect(trainable.count == adapters.count && zip(trainable, adapters).allSatisfy { $0 === $1 })
        #expect(encoder.layers[0].attention.query is LoRADense && encoder.layers[0].output is LoRADense)
        #expect(encoder.layers[0].attention.key is Dense && encoder.layers[0].intermediate is Dense)
        // B starts at zero: the encoder computes what it did.
        expectCloseArrays(try encoder.hiddenStates(tokens).scalars, before, tolerance: 0)
    }

    @Test("pretrained weights load the same before or after applying LoRA, and loading leaves the adapters alone")
    func loadingOrder() throws {
        let folder = try temporaryFolder("bert-lora-order")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try Self.checkpoint(of: try tinyEncoder(seed: 5), in: folder)
        let configuration = LoRAConfiguration(rank: 3, alpha: 3, dropout: 0, targets: BertProjection.allCases)

        let loadedFirst = BertEncoder(configuration: tinyBert, generator: WeightGenerator(seed: 9))
        try loadedFirst.loadCheckpoint(path: path)
        try loadedFirst.applyLoRA(configuration)
        try LoRAFormula.fill(loadedFirst)

        let appliedFirst = BertEncoder(configuration: tinyBert, generator: WeightGenerator(seed: 10))
        try appliedFirst.applyLoRA(configuration)
        try LoRAFormula.fill(appliedFirst)
        let adapterValues = appliedFirst.adapters.map(\.dense.loraB.scalars)
        try appliedFirst.loadCheckpoint(path: path)
        #expect(appliedFirst.adapters.map(\.dense.loraB.scalars) == adapterValues)

        let tokens = try tinyTokens()
        #expect(try loadedFirst.hiddenStates(tokens).scalars == appliedFirst.hiddenStates(tokens).scalars)
        // A wrong file is still refused naming the base weight, not the adapters.
        let wider = BertEncoder(configuration: BertConfiguration(vocabularySize: 50, hiddenSize: 8, layerCount: 2, headCount: 2,
                                                                 intermediateSize: 32, maximumPositions: 12))
        try wider.applyLoRA(configuration)
        let error = #expect(throws: LoadError.self) { try wider.loadCheckpoint(path: path) }
        #expect(error?.shapeMismatches.map(\.key).contains("layers.0.intermediate.weight") == true)
        #expect(error?.missingKeys.isEmpty == true)
    }

    @Test("applying adapters twice, or settings out of range, is refused and changes nothing")
    func refusals() throws {
        let encoder = try tinyEncoder()
        #expect(throws: LoRAConfigurationError.self) { try encoder.applyLoRA(LoRAConfiguration(rank: 0)) }
        #expect(encoder.adapters.isEmpty && encoder.loraConfiguration == nil)
        try encoder.applyLoRA(LoRAConfiguration())
        #expect(throws: LayerError.self) { try encoder.applyLoRA(LoRAConfiguration(rank: 4)) }
        #expect(encoder.adapters.count == 4)
    }

    @Test("mergeLoRA folds the adapters into plain Dense layers at the same paths, with the same outputs")
    func merging() throws {
        let encoder = try tinyEncoder()
        let paths = encoder.namedParameters().map(\.path)
        try encoder.applyLoRA(LoRAConfiguration(rank: 2, alpha: 6, targets: BertProjection.allCases))
        try LoRAFormula.fill(encoder)
        let tokens = try tinyTokens()
        let adapted = try encoder.hiddenStates(tokens).scalars
        try encoder.mergeLoRA()
        #expect(encoder.adapters.isEmpty && encoder.loraConfiguration == nil)
        #expect(encoder.namedParameters().map(\.path) == paths)
        expectCloseArrays(try encoder.hiddenStates(tokens).scalars, adapted, tolerance: 2e-5)
        // Merged weights train no more than the rest of the frozen encoder.
        #expect(encoder.trainableParameters().isEmpty)
    }

    @Test("the merged Hugging Face export is config.json and model.safetensors with BertModel keys; it reloads to the same outputs")
    func mergedExport() throws {
        let folder = try temporaryFolder("bert-lora-export")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let encoder = try tinyEncoder()
        try encoder.applyLoRA(LoRAConfiguration(rank: 4, alpha: 8, targets: [.query, .key, .intermediate]))
        try LoRAFormula.fill(encoder)
        try encoder.writeHuggingFaceModel(to: folder)
        let configPath = (folder as NSString).appendingPathComponent("config.json")
        let weightsPath = (folder as NSString).appendingPathComponent("model.safetensors")
        #expect(try BertConfiguration.read(path: configPath) == tinyBert)
        let file = try Safetensors.read(path: weightsPath)
        #expect(Set(file.names) == Set(BertEncoder(configuration: tinyBert).namedParameters().compactMap { encoder.keyMap.huggingFaceKey(for: $0.path) }))
        #expect(file.names.allSatisfy { !$0.contains("lora") })
        #expect(try Safetensors.metadata(path: weightsPath) == ["format": "pt"])

        let reloaded = BertEncoder(configuration: try BertConfiguration.read(path: configPath))
        try reloaded.loadCheckpoint(path: weightsPath)
        let tokens = try tinyTokens()
        expectCloseArrays(try reloaded.hiddenStates(tokens).scalars, try encoder.hiddenStates(tokens).scalars, tolerance: 2e-5)
        // The adapted encoder is unchanged by the export.
        #expect(encoder.adapters.count == 6)
    }

    @Test("a training step with dropout updates the adapters only")
    func trainingStep() throws {
        let encoder = try tinyEncoder()
        try encoder.applyLoRA(LoRAConfiguration(rank: 2, alpha: 4, dropout: 0.1, targets: [.query, .value, .intermediate]))
        try LoRAFormula.fill(encoder)
        let frozen = encoder.namedParameters().filter { !$0.path.contains(".lora_") }
        let frozenValues = frozen.map(\.tensor.scalars)
        let adapters = encoder.adapters.flatMap { [$0.dense.loraA, $0.dense.loraB] }
        let adapterValues = adapters.map(\.scalars)
        let optimizer = AdamW(learningRate: 1e-2)
        let tokens = try tinyTokens()
        let context = ForwardContext(isTraining: true, seed: 3)
        let pooled = try encoder.pooled(tokens, pooling: .mean, context: context)
        try pooled.squared().sum().backward()
        #expect(frozen.allSatisfy { $0.tensor.gradient == nil })
        try optimizer.step(encoder)
        #expect(frozen.map(\.tensor.scalars) == frozenValues)
        #expect(zip(adapters.map(\.scalars), adapterValues).allSatisfy { $0 != $1 })
    }
}
