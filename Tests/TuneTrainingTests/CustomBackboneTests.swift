import Foundation
import Synchronization
import Testing
@testable import FineTune

/// A model family that exists only in this test target: a stem, three stride-2 blocks (conv, BN, ReLU) and a 1×1
/// "head" convolution, with its own weight-file key names (`backbone.…`, and a classifier `fc.…` that a headless
/// model leaves out). Nothing in the library knows it: it reaches the recipe through ``ModelRegistry/register(_:)``.
final class TinyBackbone: Layer, ImageBackbone {
    static let channels = [8, 8, 12, 16]
    static let headChannels = 24

    let includeTop: Bool
    let stem: Conv2D
    let stemNorm: BatchNorm
    let blockLayers: [Sequential]
    let headConv: Conv2D
    let headNorm: BatchNorm

    init(includeTop: Bool) {
        self.includeTop = includeTop
        let channels = Self.channels
        stem = Conv2D(channels[0], kernelSize: 3, inChannels: 3, stride: 2, padding: .same, useBias: false)
        stemNorm = BatchNorm(channels: channels[0])
        blockLayers = (1..<channels.count).map { index in
            Sequential([Conv2D(channels[index], kernelSize: 3, inChannels: channels[index - 1], stride: 2, padding: .same,
                               useBias: false),
                        BatchNorm(channels: channels[index]), ActivationLayer(.relu)])
        }
        headConv = Conv2D(Self.headChannels, kernelSize: 1, inChannels: channels[channels.count - 1], useBias: false)
        headNorm = BatchNorm(channels: Self.headChannels)
        super.init(kind: "TinyBackbone")
        registerChild("stem", stem)
        registerChild("stem_norm", stemNorm)
        for (index, block) in blockLayers.enumerated() { registerChild("block\(index)", block) }
        registerChild("head", headConv)
        registerChild("head_norm", headNorm)
        markBuilt()
    }

    var blocks: [Layer] { blockLayers }
    var layersAfterBlocks: [Layer] { [headConv, headNorm] }
    var preprocessing: Normalization { .unitRange }
    var inputSize: Int { 32 }
    var minimumInputSize: Int { 16 }

    func featureShape(height: Int, width: Int) -> [Int] { [Self.headChannels, (height + 15) / 16, (width + 15) / 16] }

    var featureStages: [ModelStage] {
        let (stem, stemNorm, headConv, headNorm) = (stem, stemNorm, headConv, headNorm)
        return [ModelStage(name: "stem", layers: [stem, stemNorm]) { try stem($0, normalizedBy: stemNorm, activation: .relu, context: $1) }]
            + blockLayers.enumerated().map { ModelStage(name: "block \($0.offset)", layer: $0.element) }
            + [ModelStage(name: "head", layers: [headConv, headNorm]) { try headConv($0, normalizedBy: headNorm, activation: .relu, context: $1) }]
    }

    /// Files name every tensor `backbone.<path>`; their classifier `fc.*` is left out (this model has no top).
    var checkpointKeyMap: CheckpointKeyMap {
        CheckpointKeyMap { key in key.hasPrefix("backbone.") ? String(key.dropFirst("backbone.".count)) : nil }
    }

    override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try featureStages.run(input, range: 0..<featureStages.count, context: context)
    }

    /// Registers the family under ``name`` once per process.
    static func register() throws {
        try registration.withLock { done in
            guard !done else { return }
            try ModelRegistry.register(ModelEntry(name: name, family: "Tiny", inputSize: 32, preprocessing: .unitRange,
                                                  weights: []) { includeTop, _ in TinyBackbone(includeTop: includeTop) })
            done = true
        }
    }

    static let name = "test-tiny-cnn"
    private static let registration = Mutex(false)

    /// A weight file in the family's own key layout: every tensor from a seeded formula, plus a classifier to drop.
    static func writeWeights(to path: String) throws {
        var generator = SeededGenerator(seed: 11)
        var state = StateDictionary()
        let model = TinyBackbone(includeTop: false)
        for (name, tensor) in model.namedParameters() + model.namedBuffers() {
            let count = tensor.elementCount
            let values: [Float]
            if tensor.shape.rank == 4 {                                            // kernels, scaled by 1/√fan-in
                let scale = 1 / Float(count / tensor.shape[0]).squareRoot()
                values = (0..<count).map { _ in (Float(generator.next() % 2001) / 1000 - 1) * scale }
            } else if name.hasSuffix("running_var") || name.hasSuffix(".weight") {  // BatchNorm variance and γ
                values = Array(repeating: 1, count: count)
            } else {                                                               // BatchNorm mean and β
                values = (0..<count).map { _ in Float(generator.next() % 201) / 1000 - 0.1 }
            }
            try state.append(name: "backbone." + name, tensor: Tensor(shape: tensor.shape, scalars: values))
        }
        try state.append(name: "fc.weight", tensor: Tensor(zeros: [10, headChannels]))
        try Safetensors.write(state, to: path)
    }
}

@Suite("A model family added from outside the library", .serialized)
struct CustomBackboneTests {
    @Test("a test-only backbone trains through FineTuner with the feature cache and last-blocks:1, and its run reloads")
    func tinyBackboneFineTunes() throws {
        try TinyBackbone.register()
        let data = SyntheticImages.temporaryFolder("tiny-data")
        try SyntheticImages.write(to: data, trainPerClass: 12, validationPerClass: 4, side: 32)
        let weightsFile = SyntheticImages.temporaryFolder("tiny-weights").path + ".safetensors"
        try TinyBackbone.writeWeights(to: weightsFile)

        var recipe = FineTuneRecipe(task: .imageClassification(ImageClassificationRecipe(imageSize: 32)))
        recipe.model = TinyBackbone.name
        recipe.weightsFile = weightsFile
        recipe.headEpochs = 2
        recipe.fineTuneEpochs = 2
        recipe.unfreeze = .lastBlocks(1)
        recipe.learningRate = 1e-2
        recipe.batchSize = 6
        recipe.threads = 1
        let out = SyntheticImages.temporaryFolder("tiny-run")
        let tuner = FineTuner(recipe: recipe, dataRoot: data.path, runFolder: out.path)
        var messages: [String] = []
        tuner.log = { messages.append($0) }
        let result = try tuner.run()

        // Phase 1 trains the head from features cached after the whole base; phase 2 from features cached before the
        // last block, with that block and the head convolution unfrozen.
        #expect(messages.contains { $0.hasPrefix("Feature cache:") && $0.contains("stem…block 1") }, "\(messages)")
        #expect(messages.filter { $0.hasSuffix("from cached features") }.count == 2, "\(messages)")
        #expect(messages.contains { $0.contains("unfreeze last-blocks:1: block 2 and head;") })
        #expect(result.history.map(\.phase) == [.head, .head, .fineTune, .fineTune])

        let pretrained = try Safetensors.read(path: weightsFile).tensors
        let trained = try Safetensors.read(path: out.appendingPathComponent("model.safetensors").path).tensors
        #expect(trained["base.block1.0.weight"]?.scalars == pretrained["backbone.block1.0.weight"]?.scalars)
        #expect(trained["base.stem.weight"]?.scalars == pretrained["backbone.stem.weight"]?.scalars)
        #expect(trained["base.block2.0.weight"]?.scalars != pretrained["backbone.block2.0.weight"]?.scalars)
        #expect(trained["base.head.weight"]?.scalars != pretrained["backbone.head.weight"]?.scalars)

        // The saved run is rebuilt through the registry, with no training code.
        let saved = try SavedClassifier(folder: out.path)
        #expect(saved.model.base is TinyBackbone)
        let report = try saved.evaluate(folder: data.path)
        #expect(report.sampleCount == 12)
        #expect(abs(report.accuracy - (result.evaluation?.accuracy ?? -1)) < 1e-6)
    }

    @Test("a name the registry already has is refused")
    func duplicateNamesAreRefused() throws {
        try TinyBackbone.register()
        let entry = try ModelRegistry.entry(named: TinyBackbone.name)
        #expect(throws: ModelRegistryError.duplicateName(TinyBackbone.name)) { try ModelRegistry.register(entry) }
        #expect(throws: ModelRegistryError.duplicateName("efficientnet-lite0")) {
            try ModelRegistry.register(ModelEntry(name: "efficientnet-lite0", family: "Tiny", inputSize: 32,
                                                  preprocessing: .unitRange, weights: []) { includeTop, _ in
                TinyBackbone(includeTop: includeTop)
            })
        }
    }

    @Test("the key map leaves out what it should and refuses two keys loading into one parameter")
    func keyMapIsStrict() throws {
        let model = TinyBackbone(includeTop: false)
        let file = SyntheticImages.temporaryFolder("tiny-keys").path + ".safetensors"
        try TinyBackbone.writeWeights(to: file)
        try model.loadCheckpoint(path: file)
        let clash = CheckpointKeyMap { key in key.hasPrefix("backbone.") ? "stem.weight" : nil }
        let state = try Safetensors.read(path: file).tensors
        #expect { try clash.apply(to: state, file: file) } throws: { "\($0)".contains(file) && "\($0)".contains("stem.weight") }
    }
}
