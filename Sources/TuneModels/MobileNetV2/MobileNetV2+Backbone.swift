import TuneCore
import TuneData
import TuneNN

extension MobileNetV2: ImageBackbone {
    /// The 17 inverted-residual blocks, what `last-blocks:N` counts.
    public var blocks: [Layer] { invertedResidualBlocks }

    /// The last 1×1 convolution and its BatchNorm, which unfreeze with the last block.
    public var layersAfterBlocks: [Layer] { [head, headNorm] }

    /// `stem`, `block_0` … `block_16`, `head`.
    public var featureStages: [ModelStage] {
        let (stem, stemNorm, head, headNorm) = (stem, stemNorm, head, headNorm)
        let first = ModelStage(name: "stem", layers: [stem, stemNorm]) { input, context in
            try stem(input, normalizedBy: stemNorm, activation: .relu6, context: context)
        }
        let last = ModelStage(name: "head", layers: [head, headNorm]) { input, context in
            try head(input, normalizedBy: headNorm, activation: .relu6, context: context)
        }
        return [first] + invertedResidualBlocks.map { ModelStage(name: "block_\($0.settings.index)", layer: $0) } + [last]
    }

    /// Keras: `input_layer`, `Conv1`, `bn_Conv1`, `Conv1_relu`, each block's `expand`, `expand_BN`, `expand_relu`,
    /// (`pad`,) `depthwise`, `depthwise_BN`, `depthwise_relu`, `project`, `project_BN` (, `add`), then `Conv_1`,
    /// `Conv_1_bn`, `out_relu`; torchvision: the `features` children `features.0` … `features.18`.
    public var frameworkLayers: [FrameworkLayer] {
        guard flavour == .keras else {
            return [FrameworkLayer("features.0", [stem, stemNorm])]
                + invertedResidualBlocks.map { FrameworkLayer("features.\($0.settings.index + 1)", [$0]) }
                + [FrameworkLayer("features.\(invertedResidualBlocks.count + 1)", [head, headNorm])]
        }
        var layers = [FrameworkLayer("input_layer"), FrameworkLayer("Conv1", [stem]), FrameworkLayer("bn_Conv1", [stemNorm]),
                      FrameworkLayer("Conv1_relu")]
        for block in invertedResidualBlocks {
            let prefix = block.settings.kerasPrefix
            if let expand = block.expand, let expandNorm = block.expandNorm {
                layers += [FrameworkLayer("\(prefix)expand", [expand]), FrameworkLayer("\(prefix)expand_BN", [expandNorm]),
                           FrameworkLayer("\(prefix)expand_relu")]
            }
            if block.settings.stride == 2 { layers.append(FrameworkLayer("\(prefix)pad")) }
            layers += [FrameworkLayer("\(prefix)depthwise", [block.depthwise]),
                       FrameworkLayer("\(prefix)depthwise_BN", [block.depthwiseNorm]), FrameworkLayer("\(prefix)depthwise_relu"),
                       FrameworkLayer("\(prefix)project", [block.project]), FrameworkLayer("\(prefix)project_BN", [block.projectNorm])]
            if block.settings.hasResidual { layers.append(FrameworkLayer("\(prefix)add")) }
        }
        return layers + [FrameworkLayer("Conv_1", [head]), FrameworkLayer("Conv_1_bn", [headNorm]), FrameworkLayer("out_relu")]
    }

    /// Keras: `x / 127.5 − 1`; torchvision: ImageNet mean and deviation.
    public var preprocessing: Normalization { flavour == .keras ? .symmetric : .imageNet }

    /// 224².
    public var inputSize: Int { 224 }

    /// Five halvings: 32² keeps a 1×1 map.
    public var minimumInputSize: Int { 32 }

    /// `[1280, ⌈height / 32⌉, ⌈width / 32⌉]`.
    public func featureShape(height: Int, width: Int) -> [Int] {
        [configuration.featureChannels, (height + 31) / 32, (width + 31) / 32]
    }

    /// Keras files (``KerasWeights`` keys `<layer>/<index>`: `Conv1`, `bn_Conv1`, `expanded_conv_depthwise`,
    /// `block_<i>_expand` … `_project_BN`, `Conv_1`, `Conv_1_bn`, `predictions`) or torchvision state dicts
    /// (`features.0.0.weight`, `features.<i>.conv.…`, `features.18.*`, `classifier.1.*`), by flavour. Without the top,
    /// the file's classifier is left out.
    public var checkpointKeyMap: CheckpointKeyMap {
        var table = KeyMapTable(flavour)
        table.convolution(keras: "Conv1", torchvision: "features.0.0", path: "stem")
        table.batchNorm(keras: "bn_Conv1", torchvision: "features.0.1", path: "stem_bn")
        for block in invertedResidualBlocks {
            let settings = block.settings
            let (prefix, feature, path) = (settings.kerasPrefix, "features.\(settings.index + 1).conv", "block_\(settings.index)")
            // torchvision's `conv` Sequential: [expand (conv, BN)], depthwise (conv, BN), project conv, project BN.
            let offset = settings.hasExpansion ? 1 : 0
            if settings.hasExpansion {
                table.convolution(keras: "\(prefix)expand", torchvision: "\(feature).0.0", path: "\(path).expand")
                table.batchNorm(keras: "\(prefix)expand_BN", torchvision: "\(feature).0.1", path: "\(path).expand_bn")
            }
            table.convolution(keras: "\(prefix)depthwise", torchvision: "\(feature).\(offset).0", path: "\(path).depthwise", depthwise: true)
            table.batchNorm(keras: "\(prefix)depthwise_BN", torchvision: "\(feature).\(offset).1", path: "\(path).depthwise_bn")
            table.convolution(keras: "\(prefix)project", torchvision: "\(feature).\(offset + 1)", path: "\(path).project")
            table.batchNorm(keras: "\(prefix)project_BN", torchvision: "\(feature).\(offset + 2)", path: "\(path).project_bn")
        }
        let last = "features.\(invertedResidualBlocks.count + 1)"
        table.convolution(keras: "Conv_1", torchvision: "\(last).0", path: "head")
        table.batchNorm(keras: "Conv_1_bn", torchvision: "\(last).1", path: "head_bn")
        table.dense(keras: "predictions", torchvision: "classifier.1", path: "predictions", isTop: true)
        return table.map(includeTop: includeTop)
    }
}
