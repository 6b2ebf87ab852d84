import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneData
import TuneFormats
import TuneNN
@testable import TuneModels

extension Fixture {
    /// all-MiniLM-L6-v2's folder in `$FINETUNE_HOME/models/minilm-l6`.
    static let miniLMFolder = Fixture("the all-MiniLM-L6-v2 model folder ($FINETUNE_HOME/models/minilm-l6)",
                                      remedy: "run `finetune models fetch minilm-l6` (scripts/test.sh does)") {
        WeightCache().isInstalled(BertEncoder.miniLML6Entry)
    }
}

/// transformers' outputs on the real weights, written by `reference/bert_fixtures.py`.
struct BertReference: Decodable {
    struct Outputs: Decodable {
        let last_hidden_state: [Double]
        let mean_pooled: [Double]
    }
    let texts: [String]
    let shape: [Int]
    let input_ids: [Int32]
    let attention_mask: [Int32]
    let token_type_ids: [Int32]
    let hidden_size: Int
    let outputs: [String: Outputs]

    static func load() throws -> BertReference {
        let url = fixturesDirectory.appendingPathComponent("bert/minilm_l6_outputs.json")
        return try JSONDecoder().decode(BertReference.self, from: Data(contentsOf: url))
    }

    var tokens: TokenIDs {
        get throws {
            try TokenIDs(ids: input_ids, attentionMask: attention_mask, tokenTypes: token_type_ids, batchSize: shape[0], length: shape[1])
        }
    }
}

/// The largest absolute difference between `values` and `reference`, and the largest reference magnitude.
private func worstDifference(_ values: [Float], _ reference: [Double], where keep: (Int) -> Bool = { _ in true }) -> (difference: Double, scale: Double) {
    var worst = 0.0, scale = 0.0
    for index in values.indices where keep(index) {
        worst = max(worst, abs(Double(values[index]) - reference[index]))
        scale = max(scale, abs(reference[index]))
    }
    return (worst, scale)
}

@Suite("BERT encoder")
struct BertEncoderTests {
    @Test("MiniLM-L6's configuration has 22,565,376 parameters, transformers' count without the pooler")
    func parameterCount() {
        let encoder = BertEncoder(configuration: .miniLML6)
        #expect(encoder.parameterCount() == BertConfiguration.miniLML6.parameterCount)
        #expect(encoder.parameterCount() == 22_565_376)
    }

    @Test("Every parameter has a Hugging Face key, and reading that key gives the path back")
    func keyMapRoundTrip() {
        let encoder = BertEncoder(configuration: BertConfiguration(vocabularySize: 50, hiddenSize: 8, layerCount: 2, headCount: 2,
                                                                   intermediateSize: 16, maximumPositions: 12))
        let map = encoder.keyMap
        for (path, _) in encoder.namedParameters() {
            let key = map.huggingFaceKey(for: path)
            #expect(key != nil, "no Hugging Face key for \(path)")
            if let key {
                #expect(map.modelPath(forFileKey: key) == path)
                #expect(map.modelPath(forFileKey: "bert." + key) == path)
            }
        }
        #expect(map.modelPath(forFileKey: "bert.encoder.layer.1.output.LayerNorm.gamma") == "layers.1.outputNorm.weight")
        #expect(map.modelPath(forFileKey: "embeddings.position_ids") == nil)
        #expect(map.modelPath(forFileKey: "pooler.dense.weight") == nil)
        #expect(map.modelPath(forFileKey: "cls.predictions.bias") == nil)
        #expect(map.modelPath(forFileKey: "encoder.layer.9.output.dense.weight") == "encoder.layer.9.output.dense.weight")
    }

    @Test("A config.json that is not BERT, or whose sizes disagree, is refused naming the file and the key")
    func badConfigurations() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bert-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ text: String) throws -> String {
            let path = folder.appendingPathComponent("config.json").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        let gpt = try write(#"{"model_type": "gpt2", "n_layer": 12}"#)
        #expect(throws: BertConfigurationError.notBert(file: gpt, modelType: "gpt2")) { try BertConfiguration.read(path: gpt) }
        let heads = try write(#"{"model_type": "bert", "vocab_size": 10, "hidden_size": 30, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 8}"#)
        #expect(throws: BertConfigurationError.invalid(file: heads, message: "hidden_size 30 is not a multiple of num_attention_heads 4")) {
            try BertConfiguration.read(path: heads)
        }
        let missing = try write(#"{"model_type": "bert", "vocab_size": 10}"#)
        #expect(throws: BertConfigurationError.invalid(file: missing, message: "the key hidden_size is missing")) {
            try BertConfiguration.read(path: missing)
        }
        let activation = try write(#"{"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8, "hidden_act": "relu"}"#)
        #expect(throws: BertConfigurationError.self) { try BertConfiguration.read(path: activation) }
        let notJSON = try write("{ not json")
        #expect(throws: BertConfigurationError.self) { try BertConfiguration.read(path: notJSON) }
    }

    @Test("Weights whose shapes disagree with the config are refused naming every mis-shaped key")
    func mismatchedWeights() throws {
        let small = BertConfiguration(vocabularySize: 40, hiddenSize: 8, layerCount: 1, headCount: 2, intermediateSize: 16,
                                      maximumPositions: 10)
        let source = BertEncoder(configuration: small)
        var pairs: [(String, Tensor)] = []
        for (path, tensor) in source.namedParameters() {
            if let key = source.keyMap.huggingFaceKey(for: path) { pairs.append((key, tensor)) }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bert-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Safetensors.write(StateDictionary(pairs), to: file)
        let same = BertEncoder(configuration: small)
        try same.loadCheckpoint(path: file)

        var wider = small
        wider.intermediateSize = 32
        let error = #expect(throws: LoadError.self) { try BertEncoder(configuration: wider).loadCheckpoint(path: file) }
        #expect(error?.file == file)
        #expect(error?.shapeMismatches.map(\.key).sorted() == ["layers.0.intermediate.bias", "layers.0.intermediate.weight",
                                                               "layers.0.output.weight"])
    }

    @Test("On the real MiniLM-L6 weights, hidden states and mean-pooled embeddings match transformers within 1e-4",
          .requires(.miniLMFolder))
    func parityWithTransformers() throws {
        let reference = try BertReference.load()
        let encoder = try BertEncoder(pretrained: .miniLML6)
        let tokens = try reference.tokens
        let hidden = try encoder.hiddenStates(tokens)
        #expect(hidden.shape == [tokens.batchSize, tokens.length, reference.hidden_size])
        let width = reference.hidden_size
        let isToken = { (index: Int) in reference.attention_mask[index / width] == 1 }
        for precision in ["float64"] {
            guard let expected = reference.outputs[precision] else {
                Issue.record("the fixture has no \(precision) outputs")
                continue
            }
            let states = worstDifference(hidden.scalars, expected.last_hidden_state, where: isToken)
            let pooled = worstDifference(try TextPooling.mean.pool(hidden, batch: tokens).scalars, expected.mean_pooled)
            print("MiniLM-L6 vs transformers (\(precision)): hidden states within \(states.difference) (largest \(states.scale)), "
                  + "mean-pooled within \(pooled.difference) (largest \(pooled.scale))")
            #expect(states.difference < 1e-4)
            #expect(pooled.difference < 1e-4)
        }
    }

    @Test("The folder's tokenizer gives the fixture's ids, padded batch and all", .requires(.miniLMFolder))
    func tokenizerFeedsTheEncoder() throws {
        let reference = try BertReference.load()
        let folder = try WeightCache().installedFolder(for: BertEncoder.miniLML6Entry)
        let tokenizer = try WordPieceTokenizer(modelFolder: folder)
        let tokens = try TokenIDs(tokenizer.encodeBatch(reference.texts, maxLength: 128))
        #expect(tokens == (try reference.tokens))
    }

    @Test("Padding never changes the states of real tokens", .requires(.miniLMFolder))
    func paddingIsIgnored() throws {
        let encoder = try BertEncoder(pretrained: .miniLML6)
        let ids: [Int32] = [101, 7592, 2088, 102]
        let alone = try encoder.hiddenStates(try TokenIDs(ids: ids, attentionMask: [1, 1, 1, 1], batchSize: 1, length: 4))
        let padded = try encoder.hiddenStates(try TokenIDs(ids: ids + [0, 0, 7592], attentionMask: [1, 1, 1, 1, 0, 0, 0],
                                                           batchSize: 1, length: 7))
        let kept = try padded.sliced(axis: 1, range: 0..<4)
        let worst = zip(alone.scalars, kept.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5)
    }
}
