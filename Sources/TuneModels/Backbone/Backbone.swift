import TuneCore
import TuneData
import TuneFormats
import TuneNN

/// A pretrained network as fine-tuning sees it, whatever its family: named blocks in order, the stages that a
/// feature cache and partial training run, the layers that unfreeze together with the last blocks, and how the keys
/// of its weight files map to its parameter paths.
///
/// A new family conforms its model class (a ``Layer``) in its own folder and adds a ``ModelEntry`` to the registry;
/// the fine-tuning recipe, the saved runs and the command line then work with it unchanged.
public protocol Backbone: Layer {
    /// Whether the model's own classifier (ImageNet top) is present.
    var includeTop: Bool { get }
    /// The named blocks in order, what `last-blocks:N` counts (EfficientNet-Lite: its MBConv blocks).
    var blocks: [Layer] { get }
    /// The layers after the last block that unfreeze with it (EfficientNet-Lite: the head convolution and its
    /// BatchNorm); empty when the last block ends the feature extractor.
    var layersAfterBlocks: [Layer] { get }
    /// The feature extractor as a chain of stages (stem, each block, …); running all of them in order gives the
    /// feature map a headless model returns.
    var featureStages: [ModelStage] { get }
    /// How the keys of this family's weight files name this model's parameters and buffers.
    var checkpointKeyMap: CheckpointKeyMap { get }
    /// The feature extractor's layers as the weights' framework lists them (Keras's `base_model.layers` for a
    /// headless model), what `last-layers:N` counts; by default every innermost layer with parameters.
    var frameworkLayers: [FrameworkLayer] { get }
}

/// A backbone that reads images: the input it expects and the feature map it gives.
public protocol ImageBackbone: Backbone {
    /// The normalization of RGB 0…255 input the weights expect.
    var preprocessing: Normalization { get }
    /// The square input side the weights were trained at.
    var inputSize: Int { get }
    /// The smallest square input side the architecture accepts.
    var minimumInputSize: Int { get }
    /// The feature map's `[channels, height, width]` for a `height`×`width` input.
    func featureShape(height: Int, width: Int) -> [Int]
}

extension Backbone {
    /// Loads the weight file at `path` (`.pth`, zip or legacy, or `.safetensors`) through ``checkpointKeyMap``,
    /// strictly: every parameter and buffer must be there with its shape, and nothing else may be left over.
    /// - Throws: ``LoadError`` naming the file and every missing, unexpected or mis-shaped key; the readers' errors.
    public func loadCheckpoint(path: String) throws {
        let state = try WeightFile.read(path: path).tensors
        do {
            try load(try checkpointKeyMap.apply(to: state, file: path), strict: true)
        } catch var error as LoadError {
            error.file = path
            throw error
        }
    }

    /// Loads `weights` as registry entry `name` names them: the installed pretrained file, a file given, or nothing.
    func load(_ weights: WeightsSource, asEntry name: String, cache: WeightCache) throws {
        if let path = try weights.path(for: try ModelRegistry.entry(named: name), includeTop: includeTop, cache: cache) { try loadCheckpoint(path: path) }
    }

    /// The names of ``blocks`` as the stages call them (`block 0` …).
    public var blockStageNames: [String] {
        let blockIDs = Set(blocks.map(ObjectIdentifier.init))
        return featureStages.filter { stage in stage.layers.contains { blockIDs.contains(ObjectIdentifier($0)) } }.map(\.name)
    }
}

extension ImageBackbone {
    /// The feature extractor's output for `[N, 3, H, W]` input: runs the ``Backbone/featureStages``, the leading ones
    /// that need no gradient as slices of the batch in lanes.
    public func featureMap(_ input: Tensor, context: ForwardContext = .inference) throws -> Tensor {
        guard input.shape.rank == 4, input.shape[1] == 3 else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[N, 3, H, W]", got: input.shape)
        }
        let stages = featureStages
        return try stages.run(input, range: 0..<stages.count, context: context)
    }

    /// The feature map of `input`, or with a top the logits of its global average, through `dropout` when there is
    /// one: what a backbone whose classifier reads pooled features returns.
    func mapOrPooledLogits(_ input: Tensor, dropout: Dropout?, predictions: Dense?, context: ForwardContext) throws -> Tensor {
        let map = try featureMap(input, context: context)
        guard let predictions else { return map }
        var pooled = try map.globalAveragePool2d()
        if let dropout { pooled = try dropout(pooled, context: context) }
        return try predictions(pooled, context: context)
    }
}

extension ImagePreprocessing {
    /// The preprocessing `model` expects, at `size` (default: the model's own input size).
    public init(for model: some ImageBackbone, size: Int? = nil, method: ResizeMethod = .bilinear, centerCrop: Bool = false) {
        let side = size ?? model.inputSize
        self.init(height: side, width: side, method: method, centerCrop: centerCrop, normalization: model.preprocessing)
    }
}
