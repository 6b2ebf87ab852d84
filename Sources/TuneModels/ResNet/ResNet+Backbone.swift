import TuneCore
import TuneData
import TuneNN

extension ResNet: ImageBackbone {
    /// The 16 bottlenecks, what `last-blocks:N` counts.
    public var blocks: [Layer] { bottlenecks }

    /// Nothing follows the last bottleneck in the feature extractor.
    public var layersAfterBlocks: [Layer] { [] }

    /// `stem` (convolution, BatchNorm, ReLU, max pool), then one stage per bottleneck, named as Keras names it.
    public var featureStages: [ModelStage] {
        let (stemConv, stemNorm, stemPool) = (stemConv, stemNorm, stemPool)
        let stem = ModelStage(name: "stem", layers: [stemConv, stemNorm, stemPool]) { input, context in
            try stemPool(stemConv(input, normalizedBy: stemNorm, activation: .relu, context: context), context: context)
        }
        return [stem] + bottlenecks.map { ModelStage(name: $0.settings.kerasName, layer: $0) }
    }

    /// Keras: `input_layer`, `conv1_pad`, `conv1_conv`, `conv1_bn`, `conv1_relu`, `pool1_pad`, `pool1_pool`, then per
    /// bottleneck `_1_conv`, `_1_bn`, `_1_relu`, `_2_conv`, `_2_bn`, `_2_relu`, (`_0_conv`,) `_3_conv`, (`_0_bn`,)
    /// `_3_bn`, `_add`, `_out` in Keras's order; torchvision: the model's children `conv1`, `bn1`, `relu`, `maxpool`,
    /// `layer1` … `layer4`.
    public var frameworkLayers: [FrameworkLayer] {
        guard flavour == .keras else {
            let stages = (0..<configuration.blocksPerStage.count).map { stage in
                FrameworkLayer("layer\(stage + 1)", bottlenecks.filter { $0.settings.stage == stage })
            }
            return [FrameworkLayer("conv1", [stemConv]), FrameworkLayer("bn1", [stemNorm]), FrameworkLayer("relu"),
                    FrameworkLayer("maxpool")] + stages
        }
        var layers = [FrameworkLayer("input_layer"), FrameworkLayer("conv1_pad"), FrameworkLayer("conv1_conv", [stemConv]),
                      FrameworkLayer("conv1_bn", [stemNorm]), FrameworkLayer("conv1_relu"), FrameworkLayer("pool1_pad"),
                      FrameworkLayer("pool1_pool")]
        for block in bottlenecks {
            let name = block.settings.kerasName
            layers += [FrameworkLayer("\(name)_1_conv", [block.conv1]), FrameworkLayer("\(name)_1_bn", [block.bn1]),
                       FrameworkLayer("\(name)_1_relu"), FrameworkLayer("\(name)_2_conv", [block.conv2]),
                       FrameworkLayer("\(name)_2_bn", [block.bn2]), FrameworkLayer("\(name)_2_relu")]
            if let shortcut = block.shortcut, let shortcutNorm = block.shortcutNorm {
                layers += [FrameworkLayer("\(name)_0_conv", [shortcut]), FrameworkLayer("\(name)_3_conv", [block.conv3]),
                           FrameworkLayer("\(name)_0_bn", [shortcutNorm]), FrameworkLayer("\(name)_3_bn", [block.bn3])]
            } else {
                layers += [FrameworkLayer("\(name)_3_conv", [block.conv3]), FrameworkLayer("\(name)_3_bn", [block.bn3])]
            }
            layers += [FrameworkLayer("\(name)_add"), FrameworkLayer("\(name)_out")]
        }
        return layers
    }

    /// Keras: caffe style (BGR, ImageNet means subtracted); torchvision: ImageNet mean and deviation.
    public var preprocessing: Normalization { flavour == .keras ? .caffe : .imageNet }

    /// 224².
    public var inputSize: Int { 224 }

    /// Five halvings: 32² keeps a 1×1 map.
    public var minimumInputSize: Int { 32 }

    /// `[2048, ⌈height / 32⌉, ⌈width / 32⌉]`.
    public func featureShape(height: Int, width: Int) -> [Int] {
        [configuration.featureChannels, (height + 31) / 32, (width + 31) / 32]
    }

    /// Keras files (``KerasWeights`` keys `<layer>/<index>`: `conv1_conv`, `conv1_bn`, `conv2_block1_0_conv` …
    /// `conv5_block3_3_bn`, `predictions`) or torchvision state dicts (`conv1.weight`, `bn1.*`, `layer1.0.conv1.weight`,
    /// `layer1.0.downsample.0/1.*`, `fc.*`), by flavour. Without the top, the file's classifier is left out.
    public var checkpointKeyMap: CheckpointKeyMap {
        var table = KeyMapTable(flavour)
        let hasBias = flavour == .keras
        table.convolution(keras: "conv1_conv", torchvision: "conv1", path: "conv1", hasBias: hasBias)
        table.batchNorm(keras: "conv1_bn", torchvision: "bn1", path: "bn1")
        for block in bottlenecks {
            let (kerasName, torchName) = (block.settings.kerasName, block.settings.torchvisionName)
            for index in 1...3 {
                table.convolution(keras: "\(kerasName)_\(index)_conv", torchvision: "\(torchName).conv\(index)",
                                  path: "\(kerasName).conv\(index)", hasBias: hasBias)
                table.batchNorm(keras: "\(kerasName)_\(index)_bn", torchvision: "\(torchName).bn\(index)", path: "\(kerasName).bn\(index)")
            }
            if block.settings.hasProjection {
                table.convolution(keras: "\(kerasName)_0_conv", torchvision: "\(torchName).downsample.0",
                                  path: "\(kerasName).shortcut", hasBias: hasBias)
                table.batchNorm(keras: "\(kerasName)_0_bn", torchvision: "\(torchName).downsample.1", path: "\(kerasName).shortcut_bn")
            }
        }
        table.dense(keras: "predictions", torchvision: "fc", path: "predictions", isTop: true)
        return table.map(includeTop: includeTop)
    }
}
