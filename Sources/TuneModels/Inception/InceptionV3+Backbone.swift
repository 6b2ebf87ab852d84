import TuneCore
import TuneData
import TuneNN

extension InceptionV3: ImageBackbone {
    /// `mixed0` … `mixed10`, what `last-blocks:N` counts.
    public var blocks: [Layer] { inceptionBlocks }

    /// Nothing follows `mixed10` in the feature extractor.
    public var layersAfterBlocks: [Layer] { [] }

    /// `stem` (the input transform when on, the five convolutions and two max pools), then `mixed0` … `mixed10`.
    public var featureStages: [ModelStage] {
        let stemStage = ModelStage(name: "stem", layers: stem + stemPools) { input, context in
            try self.runStem(input, context: context)
        }
        return [stemStage] + inceptionBlocks.map { ModelStage(name: $0.settings.kerasName, layer: $0) }
    }

    /// The convolutions in the order Keras creates them (what numbers its `conv2d_<k>` and `batch_normalization_<k>`),
    /// each with its model path and torchvision's module path.
    var convolutionsInKerasOrder: [(convolution: InceptionConvolution, path: String, torchvision: String)] {
        stem.map { ($0, $0.settings.name, $0.settings.name) }
            + inceptionBlocks.flatMap { block in
                block.convolutions.map { ($0, "\(block.settings.kerasName).\($0.settings.name)",
                                          "\(block.settings.torchvisionName).\($0.settings.name)") }
            }
    }

    /// Keras: `model.layers` of `InceptionV3(include_top=False)` (`input_layer`, `conv2d`, `batch_normalization`,
    /// `activation`, …, pools, `mixed0` …, `mixed9_0`, `concatenate`, … `mixed10`) in Keras's order; torchvision: the
    /// model's children `Conv2d_1a_3x3` … `maxpool2`, `Mixed_5b` … `Mixed_7c`.
    public var frameworkLayers: [FrameworkLayer] {
        guard flavour == .keras else {
            let stemLayers = stem.map { FrameworkLayer($0.settings.name, [$0]) }
            return Array(stemLayers[..<3]) + [FrameworkLayer("maxpool1")] + Array(stemLayers[3...]) + [FrameworkLayer("maxpool2")]
                + inceptionBlocks.map { FrameworkLayer($0.settings.torchvisionName, [$0]) }
        }
        let (graph, output) = kerasGraph()
        return graph.layerOrder(output: output).map { FrameworkLayer($0.name, $0.layers) }
    }

    /// Keras's graph of the headless model, built in Keras's creation order; returns it and `mixed10`'s index.
    private func kerasGraph() -> (KerasLayerGraph, Int) {
        var graph = KerasLayerGraph()
        func convolution(_ unit: InceptionConvolution, _ input: Int) -> Int {
            let conv = graph.add("conv2d", inputs: [input], layers: [unit.conv])
            let norm = graph.add("batch_normalization", inputs: [conv], layers: [unit.norm])
            return graph.add("activation", inputs: [norm])
        }
        var x = graph.add("input_layer", name: "input_layer", inputs: [])
        for (index, unit) in stem.enumerated() {
            x = convolution(unit, x)
            if index == 2 || index == stem.count - 1 { x = graph.add("max_pooling2d", inputs: [x]) }
        }
        for block in inceptionBlocks {
            var splits = 0
            let outputs = zip(block.branches, block.settings.branches).map { branch, settings in
                var y = x
                switch settings.pooling {
                case .none: break
                case .average: y = graph.add("average_pooling2d", inputs: [y])
                case .max: y = graph.add("max_pooling2d", inputs: [y])
                }
                for unit in branch.chain { y = convolution(unit, y) }
                if !branch.split.isEmpty {
                    let parts = branch.split.map { convolution($0, y) }
                    // Keras names the first pair's concatenation `mixed9_0` / `mixed9_1`, the second not at all.
                    let name = splits == 0 ? "mixed9_\(block.settings.index - 9)" : nil
                    y = graph.add("concatenate", name: name, inputs: parts)
                    splits += 1
                }
                return y
            }
            x = graph.add("concatenate", name: block.settings.kerasName, inputs: outputs)
        }
        return (graph, x)
    }

    /// Keras: `x / 127.5 − 1`; torchvision: ImageNet mean and deviation (re-mapped inside by ``transformsInput``).
    public var preprocessing: Normalization { flavour == .keras ? .symmetric : .imageNet }

    /// 299².
    public var inputSize: Int { 299 }

    /// 75² (Keras's `min_size`) keeps a 1×1 map.
    public var minimumInputSize: Int { Self.minimumInputSide }

    /// `[2048, h, w]`: three unpadded stride-2 steps in the stem and one in each of `mixed3` and `mixed8` (8×8 at 299²).
    public func featureShape(height: Int, width: Int) -> [Int] {
        [InceptionV3Layout.featureChannels, Self.featureSide(height), Self.featureSide(width)]
    }

    /// Keras files (``KerasWeights`` keys `<layer>/<index>`: `conv2d`, `conv2d_1`, … and `batch_normalization`, … —
    /// numbered in creation order, the file's own numbering renumbered from its first, so files numbered from 1 (as
    /// Keras 2 wrote `keras.applications`' download) or after other models load too — and `predictions`) or torchvision
    /// state dicts (`Conv2d_1a_3x3.conv.weight`, `Mixed_5b.branch1x1.bn.*`, `fc.*`; `AuxLogits.*` left out), by
    /// flavour. Without the top, the file's classifier is left out.
    public var checkpointKeyMap: CheckpointKeyMap {
        var table = KeyMapTable(flavour)
        for (index, entry) in convolutionsInKerasOrder.enumerated() {
            let suffix = index == 0 ? "" : "_\(index)"
            table.convolution(keras: "conv2d\(suffix)", torchvision: "\(entry.torchvision).conv", path: "\(entry.path).conv")
            table.batchNorm(keras: "batch_normalization\(suffix)", torchvision: "\(entry.torchvision).bn", path: "\(entry.path).bn",
                            hasScale: flavour == .torchvision)
        }
        table.dense(keras: "predictions", torchvision: "fc", path: "predictions", isTop: true)
        guard flavour == .keras else {
            for key in Self.auxiliaryClassifierKeys { table.ignore(key) }
            return table.map(includeTop: includeTop)
        }
        return table.map(includeTop: includeTop).normalizingKeys(Self.renumberKerasLayers)
    }

    /// The keys of torchvision's training-only `AuxLogits` branch (two BasicConv2d and a linear layer), which a state
    /// dict saved with `aux_logits=True` (the published weights) holds.
    static let auxiliaryClassifierKeys: [String] = ["conv0", "conv1"].flatMap { conv in
        ["conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"].map { "AuxLogits.\(conv).\($0)" }
    } + ["AuxLogits.fc.weight", "AuxLogits.fc.bias"]

    /// Renames a Keras file's `conv2d…` and `batch_normalization…` layers by rank: the layer with the k-th smallest
    /// number (none counts as 0) becomes the k-th (`conv2d`, `conv2d_1`, …).
    @Sendable static func renumberKerasLayers(_ keys: [String]) -> [String: String] {
        var renamed: [String: String] = [:]
        for base in ["conv2d", "batch_normalization"] {
            func number(_ layer: Substring) -> Int? {
                if layer == base { return 0 }
                guard layer.hasPrefix(base + "_") else { return nil }
                return Int(layer.dropFirst(base.count + 1))
            }
            var numbers: [Substring: Int] = [:]
            for key in keys {
                guard let layer = key.split(separator: "/").first, let value = number(layer) else { continue }
                numbers[layer] = value
            }
            let ranks = Dictionary(uniqueKeysWithValues: numbers.sorted { $0.value < $1.value }.enumerated().map { ($1.key, $0) })
            for key in keys {
                guard let slash = key.firstIndex(of: "/"), let rank = ranks[key[..<slash]] else { continue }
                renamed[key] = (rank == 0 ? base : "\(base)_\(rank)") + key[slash...]
            }
        }
        return renamed
    }
}
