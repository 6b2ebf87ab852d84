import TuneCore
import TuneData
import TuneNN

extension VGG: ImageBackbone {
    /// The five blocks, what `last-blocks:N` counts.
    public var blocks: [Layer] { vggBlocks }

    /// Nothing follows the last block in the feature extractor.
    public var layersAfterBlocks: [Layer] { [] }

    /// `block1` … `block5`.
    public var featureStages: [ModelStage] {
        vggBlocks.enumerated().map { ModelStage(name: "block\($0.offset + 1)", layer: $0.element) }
    }

    /// Keras: `input_layer`, `block1_conv1`, `block1_conv2`, `block1_pool`, … `block5_pool`; torchvision: the
    /// `features` children `features.0` … `features.30` (convolutions, ReLUs, pools).
    public var frameworkLayers: [FrameworkLayer] {
        var layers: [FrameworkLayer] = flavour == .keras ? [FrameworkLayer("input_layer")] : []
        var index = 0
        for (blockIndex, block) in vggBlocks.enumerated() {
            for (convolutionIndex, convolution) in block.convolutions.enumerated() {
                if flavour == .keras {
                    layers.append(FrameworkLayer("block\(blockIndex + 1)_conv\(convolutionIndex + 1)", [convolution]))
                } else {
                    layers += [FrameworkLayer("features.\(index)", [convolution]), FrameworkLayer("features.\(index + 1)")]
                    index += 2
                }
            }
            layers.append(FrameworkLayer(flavour == .keras ? "block\(blockIndex + 1)_pool" : "features.\(index)"))
            index += 1
        }
        return layers
    }

    /// Keras: caffe style (BGR, ImageNet means subtracted, no scaling); torchvision: ImageNet mean and deviation.
    public var preprocessing: Normalization { flavour == .keras ? .caffe : .imageNet }

    /// 224².
    public var inputSize: Int { 224 }

    /// Five 2×2 pools: 32² keeps a 1×1 map.
    public var minimumInputSize: Int { 32 }

    /// `[512, ⌊height / 32⌋, ⌊width / 32⌋]`.
    public func featureShape(height: Int, width: Int) -> [Int] {
        [configuration.featureChannels, height / 32, width / 32]
    }

    /// Keras files (``KerasWeights`` keys `<layer>/<index>`: `block1_conv1/0` kernel, `/1` bias; `fc1`, `fc2`,
    /// `predictions`) or torchvision state dicts (`features.<i>.weight`, `classifier.0/3/6.*`), by flavour. Without
    /// the top, the file's top is left out.
    public var checkpointKeyMap: CheckpointKeyMap {
        var table: [String: CheckpointKeyMap.Target] = [:]
        var topKeys: Set<String> = []
        var featureIndex = 0    // torchvision's `features` Sequential: conv, ReLU, … , pool per block
        for (blockIndex, block) in vggBlocks.enumerated() {
            for convolutionIndex in block.convolutions.indices {
                let path = "block\(blockIndex + 1).conv\(convolutionIndex + 1)"
                switch flavour {
                case .keras:
                    let layer = "block\(blockIndex + 1)_conv\(convolutionIndex + 1)"
                    table["\(layer)/0"] = .init("\(path).weight", .kerasConvolutionKernel)
                    table["\(layer)/1"] = .init("\(path).bias")
                case .torchvision:
                    table["features.\(featureIndex).weight"] = .init("\(path).weight")
                    table["features.\(featureIndex).bias"] = .init("\(path).bias")
                }
                featureIndex += 2
            }
            featureIndex += 1
        }
        let side = VGGConfiguration.topFeatureSide
        let top: [(keras: String, torchvision: String, path: String, conversion: TensorConversion)] = [
            ("fc1", "classifier.0", "fc1",
             .kerasDenseKernelAfterFlatten(channels: configuration.featureChannels, height: side, width: side)),
            ("fc2", "classifier.3", "fc2", .kerasDenseKernel),
            ("predictions", "classifier.6", "predictions", .kerasDenseKernel),
        ]
        for layer in top {
            let (weight, bias) = flavour == .keras ? ("\(layer.keras)/0", "\(layer.keras)/1")
                                                   : ("\(layer.torchvision).weight", "\(layer.torchvision).bias")
            table[weight] = .init("\(layer.path).weight", flavour == .keras ? layer.conversion : .none)
            table[bias] = .init("\(layer.path).bias")
            topKeys.formUnion([weight, bias])
        }
        let (includeTop, finalTable, finalTopKeys) = (includeTop, table, topKeys)
        return CheckpointKeyMap(targets: { key in
            if !includeTop, finalTopKeys.contains(key) { return nil }
            return finalTable[key] ?? .init(key)
        })
    }
}
