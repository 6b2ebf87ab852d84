import TuneCore
import TuneData
import TuneNN

extension MobileNet: ImageBackbone {
    /// The 13 depthwise-separable blocks, what `last-blocks:N` counts.
    public var blocks: [Layer] { separableBlocks }

    /// Nothing follows the last block in the feature extractor.
    public var layersAfterBlocks: [Layer] { [] }

    /// `stem`, `block_1` … `block_13`.
    public var featureStages: [ModelStage] {
        let (stem, stemNorm) = (stem, stemNorm)
        let first = ModelStage(name: "stem", layers: [stem, stemNorm]) { input, context in
            try stem(input, normalizedBy: stemNorm, activation: .relu6, context: context)
        }
        return [first] + separableBlocks.map { ModelStage(name: "block_\($0.settings.id)", layer: $0) }
    }

    /// `input_layer`, `conv1`, `conv1_bn`, `conv1_relu`, then per block (`conv_pad_<id>`,) `conv_dw_<id>`, `_bn`,
    /// `_relu`, `conv_pw_<id>`, `_bn`, `_relu`, as Keras lists them.
    public var frameworkLayers: [FrameworkLayer] {
        var layers = [FrameworkLayer("input_layer"), FrameworkLayer("conv1", [stem]), FrameworkLayer("conv1_bn", [stemNorm]),
                      FrameworkLayer("conv1_relu")]
        for block in separableBlocks {
            let id = block.settings.id
            if block.settings.stride == 2 { layers.append(FrameworkLayer("conv_pad_\(id)")) }
            layers += [FrameworkLayer("conv_dw_\(id)", [block.depthwise]), FrameworkLayer("conv_dw_\(id)_bn", [block.depthwiseNorm]),
                       FrameworkLayer("conv_dw_\(id)_relu"), FrameworkLayer("conv_pw_\(id)", [block.pointwise]),
                       FrameworkLayer("conv_pw_\(id)_bn", [block.pointwiseNorm]), FrameworkLayer("conv_pw_\(id)_relu")]
        }
        return layers
    }

    /// `x / 127.5 − 1`, as Keras's `mobilenet.preprocess_input`.
    public var preprocessing: Normalization { .symmetric }

    /// 224².
    public var inputSize: Int { 224 }

    /// Five halvings: 32² keeps a 1×1 map.
    public var minimumInputSize: Int { 32 }

    /// `[1024·α, h, w]`: the stem halves as TF "SAME" (⌈x/2⌉), each stride-2 block as one pixel of padding after the
    /// input and a 3×3 window (⌊x/2⌋).
    public func featureShape(height: Int, width: Int) -> [Int] {
        func side(_ size: Int) -> Int {
            var x = (size + 1) / 2
            for row in MobileNetConfiguration.table where row.stride == 2 { x = (x + 1 - 3) / 2 + 1 }
            return x
        }
        return [configuration.featureChannels, side(height), side(width)]
    }

    /// Keras files (``KerasWeights`` keys `<layer>/<index>`: `conv1`, `conv1_bn`, `conv_dw_<id>`, `conv_dw_<id>_bn`,
    /// `conv_pw_<id>`, `conv_pw_<id>_bn`, `conv_preds`). Without the top, the file's classifier is left out.
    public var checkpointKeyMap: CheckpointKeyMap {
        var table = KeyMapTable(.keras)
        table.convolution(keras: "conv1", path: "conv1")
        table.batchNorm(keras: "conv1_bn", path: "conv1_bn")
        for block in separableBlocks {
            let (id, path) = (block.settings.id, "block_\(block.settings.id)")
            table.convolution(keras: "conv_dw_\(id)", path: "\(path).depthwise", depthwise: true)
            table.batchNorm(keras: "conv_dw_\(id)_bn", path: "\(path).depthwise_bn")
            table.convolution(keras: "conv_pw_\(id)", path: "\(path).pointwise")
            table.batchNorm(keras: "conv_pw_\(id)_bn", path: "\(path).pointwise_bn")
        }
        table.dense(keras: "conv_preds", path: "predictions", conversion: .kerasPointwiseKernelAsDense, isTop: true)
        return table.map(includeTop: includeTop)
    }
}
