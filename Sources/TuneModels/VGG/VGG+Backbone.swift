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
        var table = KeyMapTable(flavour)
        var featureIndex = 0    // torchvision's `features` Sequential: conv, ReLU, … , pool per block
        for (blockIndex, block) in vggBlocks.enumerated() {
            for convolutionIndex in block.convolutions.indices {
                table.convolution(keras: "block\(blockIndex + 1)_conv\(convolutionIndex + 1)", torchvision: "features.\(featureIndex)",
                                  path: "block\(blockIndex + 1).conv\(convolutionIndex + 1)", hasBias: true)
                featureIndex += 2
            }
            featureIndex += 1
        }
        let side = VGGConfiguration.topFeatureSide
        table.dense(keras: "fc1", torchvision: "classifier.0", path: "fc1",
                    conversion: .kerasDenseKernelAfterFlatten(channels: configuration.featureChannels, height: side, width: side),
                    isTop: true)
        table.dense(keras: "fc2", torchvision: "classifier.3", path: "fc2", isTop: true)
        table.dense(keras: "predictions", torchvision: "classifier.6", path: "predictions", isTop: true)
        return table.map(includeTop: includeTop)
    }
}
