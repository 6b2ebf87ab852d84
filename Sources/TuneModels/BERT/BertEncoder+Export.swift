import Foundation
import TuneCore
import TuneFormats
import TuneNN

extension BertEncoder {
    /// The encoder's weights under Hugging Face `BertModel` keys (``BertKeyMap/huggingFaceKey(for:)``), LoRA adapters
    /// merged into the weights they adapt (`W + alpha / rank · B · A`), in parameter order.
    /// - Throws: ``LayerError`` when a parameter other than an adapter's has no Hugging Face key.
    public func mergedHuggingFaceState() throws -> StateDictionary {
        let map = keyMap
        let merged = Dictionary(uniqueKeysWithValues: try adapters.map { ("\($0.path).weight", try $0.dense.mergedWeight()) })
        let adapterTensors = Set(adapterPaths)
        var state = StateDictionary()
        for (path, tensor) in namedParameters() where !adapterTensors.contains(path) {
            guard let key = map.huggingFaceKey(for: path) else {
                throw LayerError.invalidConfiguration(layer: kind, message: "\(path) has no Hugging Face BertModel key")
            }
            try state.append(name: key, tensor: merged[path] ?? tensor)
        }
        return state
    }

    /// Writes a Hugging Face `BertModel` folder: `config.json` (``configuration`` under its Hugging Face keys) and
    /// `model.safetensors` (float32, ``mergedHuggingFaceState()``: adapters merged). `BertModel.from_pretrained(folder)`
    /// and ``init(folder:)`` (given a `vocab.txt` too) load it. Each file is written atomically; the folder is created
    /// when missing. The tokenizer's files are not copied.
    public func writeHuggingFaceModel(to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let state = try mergedHuggingFaceState()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(configuration)
        try writeFileAtomically(Array(json) + [0x0A], to: (folder as NSString).appendingPathComponent("config.json"))
        try Safetensors.write(state, to: (folder as NSString).appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
    }
}
