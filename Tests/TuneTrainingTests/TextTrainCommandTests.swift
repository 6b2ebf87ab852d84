import Foundation
import Testing
import TestFixtures
@testable import FineTune
@testable import TuneTraining

/// A tiny BERT model folder (random weights, a 12-word vocabulary) and a two-class text data set that it can learn.
enum TinyText {
    static let words = ["alpha", "beta", "gamma", "delta", "apple", "pear", "plum"]

    /// Writes `config.json`, `model.safetensors` (Hugging Face keys) and `vocab.txt` into a new folder.
    static func modelFolder() throws -> URL {
        let folder = SyntheticImages.temporaryFolder("tiny-bert")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "."] + words
        try Data((vocabulary.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))
        let configuration = BertConfiguration(vocabularySize: vocabulary.count, hiddenSize: 8, layerCount: 2, headCount: 2,
                                              intermediateSize: 16, maximumPositions: 32)
        try JSONEncoder().encode(configuration).write(to: folder.appendingPathComponent("config.json"))
        let encoder = BertEncoder(configuration: configuration, generator: WeightGenerator(seed: 9))
        let pairs = encoder.namedParameters().compactMap { path, tensor in encoder.keyMap.huggingFaceKey(for: path).map { ($0, tensor) } }
        try Safetensors.write(StateDictionary(pairs), to: folder.appendingPathComponent("model.safetensors").path)
        return folder
    }

    /// `root/train/<class>/i.txt` and `root/validation/<class>/i.txt`: fruit words against Greek letters.
    static func data(trainPerClass: Int = 12, validationPerClass: Int = 4) throws -> URL {
        let root = SyntheticImages.temporaryFolder("tiny-texts")
        let classes = [("fruit", ["apple", "pear", "plum"]), ("greek", ["alpha", "beta", "gamma", "delta"])]
        for (split, count) in [("train", trainPerClass), ("validation", validationPerClass)] {
            for (name, vocabulary) in classes {
                let folder = root.appendingPathComponent("\(split)/\(name)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for index in 0..<count {
                    let text = (0..<(2 + index % 5)).map { vocabulary[($0 * 7 + index) % vocabulary.count] }.joined(separator: " ") + "."
                    try Data(text.utf8).write(to: folder.appendingPathComponent("\(index).txt"))
                }
            }
        }
        return root
    }
}

@Suite("finetune train on texts", .serialized, .requires(.finetuneBinary))
struct TextTrainCommandTests {
    static let arguments = ["--head-epochs", "2", "--epochs", "2", "--unfreeze", "last-layers:1", "--batch-size", "4",
                            "--threads", "1", "--seed", "5", "--max-length", "16", "--learning-rate", "0.01"]

    func weights(_ folder: URL) throws -> [String: [Float]] {
        try Safetensors.read(path: folder.appendingPathComponent("model.safetensors").path).tensors.mapValues(\.scalars)
    }

    @Test("Text data is detected: the frozen encoder's pooled states are cached in phase 1, the last layer trains in phase 2, and the run folder says text-classification")
    func trainsOnTexts() throws {
        let model = try TinyText.modelFolder(), data = try TinyText.data()
        let out = SyntheticImages.temporaryFolder("text-run")
        let (status, log) = try FineTuneBinary.run(["train", data.path, "--model", model.path, "--out", out.path] + Self.arguments)
        #expect(status == 0, "\(log)")
        #expect(log.contains("Feature cache: 24 + 8 samples through encoder"))
        #expect(log.contains("fine-tuning (unfreeze last-layers:1)"))
        #expect(log.contains("Validation accuracy:"))
        let configuration = try String(contentsOf: out.appendingPathComponent("config.json"), encoding: .utf8)
        #expect(configuration.contains("text-classification"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.html").path))
        let saved = try weights(out)
        #expect(saved.keys.contains("encoder.layers.1.attention.query.weight"))
        #expect(saved.keys.contains("head.1.weight"))
        let (evaluated, message) = try FineTuneBinary.run(["evaluate", out.path, data.path])
        #expect(evaluated != 0)
        #expect(message.contains("a text-classification run; evaluating and predicting with saved text-classification runs is not supported yet"))
    }

    @Test("A killed text run resumes to the same final weights", arguments: [1, 3])
    func resumes(killAfter: Int) throws {
        let model = try TinyText.modelFolder(), data = try TinyText.data(trainPerClass: 40)
        let reference = SyntheticImages.temporaryFolder("text-reference")
        let arguments = ["train", data.path, "--model", model.path] + Self.arguments
        let (status, output) = try FineTuneBinary.run(arguments + ["--out", reference.path])
        #expect(status == 0, "\(output)")
        let interrupted = SyntheticImages.temporaryFolder("text-interrupted")
        let killedAt = try TrainCommandTests().trainAndKill(arguments: arguments + ["--out", interrupted.path],
                                                             checkpointFolder: interrupted, killAfter: killAfter)
        #expect(killedAt >= killAfter && killedAt < 4, "the run should be killed before it finished (checkpoint epochs \(killedAt))")
        let (resumed, log) = try FineTuneBinary.run(["train", "--resume", interrupted.path])
        #expect(resumed == 0, "\(log)")
        #expect(try weights(interrupted) == weights(reference))
    }

    @Test("A text model folder whose config is not BERT is refused naming the file")
    func notBert() throws {
        let model = try TinyText.modelFolder(), data = try TinyText.data()
        try Data(#"{"model_type": "gpt2"}"#.utf8).write(to: model.appendingPathComponent("config.json"))
        let (status, log) = try FineTuneBinary.run(["train", data.path, "--model", model.path, "--out",
                                                    SyntheticImages.temporaryFolder("text-bad").path] + Self.arguments)
        #expect(status != 0)
        #expect(log.contains("config.json: model_type is 'gpt2'"))
    }
}
